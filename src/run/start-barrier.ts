/**
 * Where a shard waits, connections open, until every shard of the scenario starts its load at one common
 * wall-clock time (implementations: src/shard/). The run session calls it between opening and loading.
 */
export interface BarrierOutcome {
  /** When this shard's load starts, on this machine's wall clock (epoch ms). */
  startEpochMs: number;
  /** This machine's clock minus the coordinator's, when the barrier measured it. */
  clockOffsetMs: number | null;
  /** Named problems that did not stop the start (e.g. a shard's clock far off, corrected). */
  warnings?: string[];
}

export interface StartBarrier {
  readonly kind: 'start-at' | 'rendezvous';
  /** For progress: what the run waits for. */
  describe(): string;
  /** Resolves at (just before) the common start; rejects with an error that names the shard at fault. */
  wait(arrival: { established: number; signal?: AbortSignal | undefined }): Promise<BarrierOutcome>;
}
