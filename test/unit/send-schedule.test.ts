import { describe, expect, it } from 'vitest';
import { SendSchedule } from '../../src/driver/send-schedule.js';

describe('SendSchedule', () => {
  it('spreads one worker\'s sends evenly: N connections at R msg/s give one send every 1/(N·R) s', () => {
    const schedule = new SendSchedule({ startMs: 1000, ratePerConnection: 10, connections: 100 });
    expect(schedule.slotMs).toBeCloseTo(1, 12);
    expect(schedule.intendedMs(0)).toBe(1000);
    expect(schedule.intendedMs(250)).toBeCloseTo(1250, 9);
  });

  it('gives every connection exactly its rate, each send one interval after its previous one', () => {
    const schedule = new SendSchedule({ startMs: 0, ratePerConnection: 5, connections: 7 });
    const perConnection = new Map<number, number[]>();
    for (let index = 0; index < 7 * 5 * 3; index++) {
      const times = perConnection.get(schedule.connectionOf(index)) ?? [];
      times.push(schedule.intendedMs(index));
      perConnection.set(schedule.connectionOf(index), times);
    }
    expect(perConnection.size).toBe(7);
    for (const times of perConnection.values()) {
      expect(times).toHaveLength(15);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(200, 9);
    }
  });

  it('shifts a worker by a fraction of a slot so that several workers interleave instead of bunching', () => {
    const first = new SendSchedule({ startMs: 0, ratePerConnection: 10, connections: 10, offset: 0 });
    const second = new SendSchedule({ startMs: 0, ratePerConnection: 10, connections: 10, offset: 0.5 });
    expect(second.intendedMs(0) - first.intendedMs(0)).toBeCloseTo(5, 9);
    expect(first.intendedMs(1) - second.intendedMs(0)).toBeCloseTo(5, 9);
  });

  it('hands out only sends that are due, and catches up on late ones rather than skipping them', () => {
    const schedule = new SendSchedule({ startMs: 0, ratePerConnection: 1, connections: 10 });
    expect(schedule.takeDue(-1, 10_000)).toBe(-1);
    const taken: number[] = [];
    for (let index = schedule.takeDue(350, 10_000); index >= 0; index = schedule.takeDue(350, 10_000)) taken.push(index);
    expect(taken).toEqual([0, 1, 2, 3]);
    expect(schedule.takeDue(399, 10_000)).toBe(-1);
    expect(schedule.takeDue(400, 10_000)).toBe(4);
  });

  it('hands out sends intended before aheadUntilMs ahead of time, and never one intended at it or after the end', () => {
    const schedule = new SendSchedule({ startMs: 0, ratePerConnection: 1, connections: 10 });
    const taken: number[] = [];
    for (let index = schedule.takeDue(50, 10_000, 350); index >= 0; index = schedule.takeDue(50, 10_000, 350)) taken.push(index);
    // Due at 0 and ahead at 100, 200, 300; the one intended at 350's limit (400 > 350) waits.
    expect(taken).toEqual([0, 1, 2, 3]);
    expect(schedule.takeDue(50, 10_000, 400)).toBe(-1);
    expect(schedule.takeDue(50, 450, 10_000)).toBe(4);
    expect(schedule.takeDue(50, 500, 10_000)).toBe(-1);
  });

  it('never hands out a send intended at or after the end of the phase', () => {
    const schedule = new SendSchedule({ startMs: 0, ratePerConnection: 10, connections: 1 });
    const taken: number[] = [];
    for (let index = schedule.takeDue(5_000, 1000); index >= 0; index = schedule.takeDue(5_000, 1000)) taken.push(index);
    expect(taken).toHaveLength(10);
  });

  it('rejects a rate or a connection count that is not positive', () => {
    expect(() => new SendSchedule({ startMs: 0, ratePerConnection: 0, connections: 1 })).toThrow(/ratePerConnection/);
    expect(() => new SendSchedule({ startMs: 0, ratePerConnection: 1, connections: 0 })).toThrow(/connections/);
  });
});
