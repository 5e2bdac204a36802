import { describe, expect, it } from 'vitest';
import { InFlightLedger } from '../../src/driver/in-flight-ledger.js';

describe('InFlightLedger', () => {
  it('numbers each connection’s messages from 0 and returns their intended times oldest first', () => {
    const ledger = new InFlightLedger(3);
    expect(ledger.record(1, 10)).toBe(0);
    expect(ledger.record(1, 20)).toBe(1);
    expect(ledger.record(2, 15)).toBe(0);
    expect(ledger.inFlight).toBe(3);
    expect(ledger.inFlightOn(1)).toBe(2);
    expect(ledger.isInFlight(1, 1)).toBe(true);
    expect(ledger.isInFlight(1, 2)).toBe(false);
    expect(ledger.resolveOldest(1)).toBe(10);
    expect(ledger.isInFlight(1, 0)).toBe(false);
    expect(ledger.resolveOldest(1)).toBe(20);
    expect(ledger.inFlight).toBe(1);
  });

  it('keeps every intended time when one connection has far more in flight than the initial slots', () => {
    const ledger = new InFlightLedger(4);
    for (let k = 0; k < 100; k++) {
      ledger.record(3, 1000 + k);
      ledger.record(k % 3, 2000 + k);
    }
    expect(ledger.inFlightOn(3)).toBe(100);
    for (let k = 0; k < 100; k++) expect(ledger.resolveOldest(3)).toBe(1000 + k);
    expect(ledger.resolveOldest(0)).toBe(2000);
    expect(ledger.resolveOldest(1)).toBe(2001);
  });

  it('expires only what is still in flight and older than the deadline, in send order, across queue growth', () => {
    const ledger = new InFlightLedger(10);
    for (let index = 0; index < 5000; index++) ledger.record(index % 10, index);
    // Echoes resolve the first two messages of connection 0 (intended 0 and 10).
    ledger.resolveOldest(0);
    ledger.resolveOldest(0);
    const expired: number[] = [];
    ledger.expireBefore(25, (connection) => {
      expired.push(connection);
      ledger.resolveOldest(connection);
    });
    // Intended 1–24 expire in order; 0 and 10 (connection 0's first two) were echoed and are skipped.
    expect(expired).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
    expect(ledger.inFlight).toBe(5000 - 2 - expired.length);
    ledger.expireBefore(Number.POSITIVE_INFINITY, (connection) => ledger.resolveOldest(connection));
    expect(ledger.inFlight).toBe(0);
  });
});

describe('in-flight ledger with unordered replies', () => {
  it('moves acked past requests answered early, and only then', () => {
    const ledger = new InFlightLedger(2, true);
    for (let sequence = 0; sequence < 20; sequence++) ledger.record(1, sequence);
    expect(ledger.answer(1, 2)).toBe(2);
    expect(ledger.answer(1, 1)).toBe(1);
    expect(ledger.oldestOn(1)).toBe(0);
    expect(ledger.isAnswered(1, 1)).toBe(true);
    expect(ledger.inFlight).toBe(18);
    ledger.answer(1, 0);
    expect(ledger.oldestOn(1)).toBe(3);
    expect(ledger.isAnswered(1, 1)).toBe(false);
    expect(ledger.inFlight).toBe(17);
    // Growing the slots keeps both the intended times and the answered flags of what is in flight.
    ledger.answer(1, 10);
    for (let sequence = 20; sequence < 40; sequence++) ledger.record(1, sequence);
    expect(ledger.isAnswered(1, 10)).toBe(true);
    expect(ledger.intendedOf(1, 10)).toBe(10);
    expect(ledger.intendedOf(1, 35)).toBe(35);
    expect(ledger.inFlightOn(0)).toBe(0);
  });

  it('times out the oldest and skips past what was answered after it', () => {
    const ledger = new InFlightLedger(1, true);
    for (let sequence = 0; sequence < 4; sequence++) ledger.record(0, 100 + sequence);
    ledger.answer(0, 1);
    ledger.answer(0, 2);
    const expired: number[] = [];
    ledger.expireBefore(101.5, (connection) => expired.push(ledger.resolveOldest(connection)));
    // Request 0 timed out; 1 and 2 were answered, so 3 is the oldest left; it is not due to expire.
    expect(expired).toEqual([100]);
    expect(ledger.oldestOn(0)).toBe(3);
    expect(ledger.inFlight).toBe(1);
  });

  it('refuses an out-of-order answer when replies are in order', () => {
    const ledger = new InFlightLedger(1);
    ledger.record(0, 1);
    ledger.record(0, 2);
    expect(() => ledger.answer(0, 1)).toThrow(/not the oldest/);
  });
});
