import type { ClientConnection, ConnectionListener } from './client-transport.js';
import { Churn } from './churn.js';
import type { Redial } from './churn.js';
import type { Heartbeat } from './heartbeat.js';
import type { InFlightLedger } from './in-flight-ledger.js';
import type { Clock } from './phase-accounts.js';
import type { LoadCommand } from './worker-protocol.js';

interface PhaseChurnContext {
  /** The phase's connections by slot: a reconnect replaces its entry in place. */
  connections: ClientConnection[];
  ledger: InFlightLedger;
  /** The phase, which listens to every connection, the new ones included. */
  listener: ConnectionListener;
  heartbeat: Heartbeat | null;
  startMs: number;
  endMs: number;
  clock: Clock;
  redial: Redial;
  onReplaced: ((previous: ClientConnection, next: ClientConnection) => void) | undefined;
}

/** `--pattern churn` for one phase: idle connections closed and redialled at the churn rate (and a storm). */
export function createPhaseChurn(command: LoadCommand, context: PhaseChurnContext): Churn {
  const { connections, ledger, listener, heartbeat } = context;
  return new Churn(
    { count: connections.length, connectionAt: (slot) => connections[slot]!, inFlightOn: (slot) => ledger.inFlightOn(slot) },
    {
      ratePerSec: command.churnRatePerSec ?? 0,
      ...(command.stormAtMs === undefined ? {} : { stormAtMs: command.stormAtMs }),
      startMs: context.startMs,
      endMs: context.endMs,
      clock: context.clock,
      redial: context.redial,
      replace: (slot, connection) => {
        connections[slot] = connection;
        connection.listen(listener, slot);
        heartbeat?.replace(slot);
      },
      ...(context.onReplaced === undefined ? {} : { onReplaced: context.onReplaced }),
    },
  );
}
