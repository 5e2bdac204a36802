import type { ClientConnection } from './client-transport.js';
import type { SubscriberStats } from './subscriber-stats.js';
import type { LoadCommand, PhaseReport } from './worker-protocol.js';

/** A broadcast's subscribers send `--subscribe` once, before the first publish. */
export function sendSubscriptions(command: LoadCommand, connections: readonly ClientConnection[], connId: (slot: number) => number): void {
  const template = command.subscribeTemplate;
  if (template === undefined) return;
  const publishers = command.publishers ?? 1;
  connections.forEach((connection, slot) => {
    if (connection.isOpen && connId(slot) >= publishers) connection.sendText(template.replaceAll('{{conn}}', String(connId(slot))));
  });
}

/** A broadcast phase's publishers, subscribers and its slowest subscriber, for the phase's report. */
export function broadcastReport(command: LoadCommand, slots: number, publishing: number, stats: SubscriberStats, connId: (slot: number) => number): NonNullable<PhaseReport['broadcast']> {
  const publishers = command.publishers ?? 1;
  const subscribers: Array<{ slot: number; conn: number }> = [];
  for (let slot = 0; slot < slots; slot++) if (connId(slot) >= publishers) subscribers.push({ slot, conn: connId(slot) });
  return { publishers: publishing, subscribers: subscribers.length, slowestSubscriber: stats.slowest(subscribers) };
}
