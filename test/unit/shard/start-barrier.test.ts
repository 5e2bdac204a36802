import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../../src/errors.js';
import { rendezvousBarrier } from '../../../src/shard/rendezvous-barrier.js';
import { startAtBarrier } from '../../../src/shard/start-at-barrier.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SCENARIO = 'scenario-key';

describe('start barriers', () => {
  it('rendezvous: every shard starts at one instant, a shard whose clock is 3 s behind is corrected and named', async () => {
    const port = await freePort();
    const skewMs = -3000;
    const barriers = [0, 1, 2].map((index) =>
      rendezvousBarrier({
        host: '127.0.0.1',
        port,
        shard: { index, count: 3 },
        scenarioKey: SCENARIO,
        timeoutMs: 10_000,
        startLeadMs: 300,
        ...(index === 2 ? { clock: () => Date.now() + skewMs } : {}),
      }),
    );
    const outcomes = await Promise.all(barriers.map((barrier) => barrier.wait({ established: 10 })));
    const returnedAt = Date.now();
    // On the real clock, all three start at the same instant (the midpoint estimate is good to ~1 ms on loopback).
    const realStarts = outcomes.map((outcome, index) => outcome.startEpochMs - (index === 2 ? skewMs : 0));
    expect(Math.max(...realStarts) - Math.min(...realStarts)).toBeLessThan(150);
    expect(realStarts[0]! - returnedAt).toBeGreaterThan(0);
    expect(outcomes[2]!.clockOffsetMs).toBeLessThan(-2850);
    expect(outcomes[2]!.clockOffsetMs).toBeGreaterThan(-3150);
    expect(Math.abs(outcomes[1]!.clockOffsetMs!)).toBeLessThan(150);
    expect(outcomes[2]!.warnings).toEqual([expect.stringMatching(/^shard 2\/3's clock is [23]\d{3} ms behind shard 0's/)]);
    expect(outcomes[0]!.warnings).toEqual([expect.stringMatching(/^shard 2\/3's clock is [23]\d{3} ms behind/)]);
  });

  it('rendezvous: a shard that never arrives is named by shard 0, and the waiting shards are told', async () => {
    const port = await freePort();
    const make = (index: number) => rendezvousBarrier({ host: '127.0.0.1', port, shard: { index, count: 3 }, scenarioKey: SCENARIO, timeoutMs: 1500 });
    const [coordinator, follower] = await Promise.allSettled([make(0).wait({ established: 1 }), make(1).wait({ established: 1 })]);
    expect(coordinator.status).toBe('rejected');
    const error = (coordinator as PromiseRejectedResult).reason as InfrastructureError;
    expect(error.code).toBe('BARRIER_TIMEOUT');
    expect(error.message).toMatch(/^shard 2\/3 never reached the start barrier/);
    expect(((follower as PromiseRejectedResult).reason as InfrastructureError).message).toMatch(/shard 1\/3: shard 0 aborted the start: shard 2\/3 never reached/);
  });

  it('rendezvous: a shard with another scenario is refused by name', async () => {
    const port = await freePort();
    const coordinator = rendezvousBarrier({ host: '127.0.0.1', port, shard: { index: 0, count: 2 }, scenarioKey: SCENARIO, timeoutMs: 1500 }).wait({ established: 1 });
    const other = rendezvousBarrier({ host: '127.0.0.1', port, shard: { index: 1, count: 2 }, scenarioKey: 'another', timeoutMs: 1500 }).wait({ established: 1 });
    const [, refused] = await Promise.allSettled([coordinator, other]);
    expect(((refused as PromiseRejectedResult).reason as Error).message).toMatch(/shard 1\/2 runs another scenario \(another\) than shard 0/);
  });

  it('rendezvous: a follower with no coordinator gives up at its timeout, naming the address', async () => {
    const port = await freePort();
    const waiting = rendezvousBarrier({ host: '127.0.0.1', port, shard: { index: 1, count: 2 }, scenarioKey: SCENARIO, timeoutMs: 600 }).wait({ established: 1 });
    await expect(waiting).rejects.toThrow(new RegExp(`shard 1/2: could not reach shard 0's rendezvous at 127.0.0.1:${port} within 0.6 s`));
  });

  it('--start-at: waits for the time and starts there; a shard still connecting at that time fails as late, by name', async () => {
    const startAtEpochMs = Date.now() + 400;
    const outcome = await startAtBarrier({ startAtEpochMs, shard: { index: 0, count: 2 } }).wait({ established: 5 });
    expect(outcome).toEqual({ startEpochMs: startAtEpochMs, clockOffsetMs: null });
    expect(Date.now()).toBeGreaterThanOrEqual(startAtEpochMs - 200);
    const late = startAtBarrier({ startAtEpochMs: Date.now() - 1000, shard: { index: 1, count: 2 } }).wait({ established: 5 });
    await expect(late).rejects.toMatchObject({ code: 'SHARD_LATE', message: expect.stringMatching(/^shard 1\/2 reached the start barrier 1\d{3} ms after --start-at/) });
  });
});
