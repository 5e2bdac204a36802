import { seededRandom } from '../../src/compare/seeded-random.js';
import type { TargetDefinition } from '../../src/targets/target-definition.js';
import { parseTargetSpec } from '../../src/targets/target-spec.js';
import type { FakeServer } from './fake-session.js';

/** A target definition nothing starts: the fake world's `startTarget` stands in for it. */
export function fakeDefinition(name = 'fake'): TargetDefinition {
  return { name, description: 'a modelled server (tests)', command: 'true', args: [], knobs: {}, wsPath: '/', servesMetrics: false };
}

export const FAKE_SPEC = parseTargetSpec('fake');

/** Latency that does not depend on the load, with ±`noise` relative jitter per trial (seeded, so the test is fixed). */
export function steadyServer(p50Ms: number, p99Ms: number, noise: number, seed: number): () => FakeServer {
  const random = seededRandom(seed);
  return () => {
    const factor = 1 + noise * (2 * random() - 1);
    return { latencyMs: () => ({ p50: p50Ms * factor, p99: p99Ms * factor }) };
  };
}
