import { describe, expect, it } from 'vitest';
import { DEFAULT_ERROR_BUDGET, describeBreach, judgeErrorBudget } from '../../src/run/error-budget.js';

const healthy = { sent: 10_000, timedOut: 0, mismatched: 0, connectionsAttempted: 100, connectionsFailed: 0, connectionsDropped: 0 };

describe('judgeErrorBudget', () => {
  it('holds with nothing failed, and the default allows 0.1%', () => {
    expect(DEFAULT_ERROR_BUDGET).toBe(0.001);
    expect(judgeErrorBudget(DEFAULT_ERROR_BUDGET, healthy)).toEqual({ limit: 0.001, observed: 0, held: true, breaches: [] });
    expect(judgeErrorBudget(DEFAULT_ERROR_BUDGET, { ...healthy, timedOut: 10 }).held).toBe(true);
  });

  it('fails just past the limit and names what broke', () => {
    const budget = judgeErrorBudget(DEFAULT_ERROR_BUDGET, { ...healthy, timedOut: 8, mismatched: 3 });
    expect(budget.held).toBe(false);
    expect(budget.observed).toBeCloseTo(0.0011, 6);
    expect(budget.breaches).toEqual(['11 of 10000 messages failed (0.11%): 8 timed out or were lost, 3 came back different from what was sent']);
    expect(describeBreach(budget)).toMatch(/--error-budget/);
  });

  it('fails on connections that did not open, even when every message on the others was echoed', () => {
    const budget = judgeErrorBudget(0.01, { ...healthy, connectionsFailed: 50 });
    expect(budget.held).toBe(false);
    expect(budget.observed).toBe(0.5);
    expect(budget.breaches[0]).toMatch(/50 of 100 connections failed to open/);
  });

  it('a budget of 1 holds whatever happens, a budget of 0 fails on a single lost message', () => {
    expect(judgeErrorBudget(1, { ...healthy, timedOut: 10_000 }).held).toBe(true);
    expect(judgeErrorBudget(0, { ...healthy, timedOut: 1 }).held).toBe(false);
  });
});
