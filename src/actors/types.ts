import type { ClaimBatch, ClaimOptions, FailOptions, FailOutcome, Lane, Lease, ReleaseOptions, ThrottleOptions } from '../infra/types.js';

/**
 * The narrow slice of TaskQueue an actor needs. TaskQueue satisfies it as is;
 * unit tests pass an in-memory stub instead of Redis.
 */
export interface LeaseStore {
  claimBatch(lane: Lane, options: ClaimOptions): Promise<ClaimBatch>;
  heartbeat(lease: Lease, leaseMs?: number): Promise<boolean>;
  completeMany(entries: ReadonlyArray<{ lease: Lease; result?: unknown }>): Promise<boolean[]>;
  fail(lease: Lease, error: unknown, options?: FailOptions): Promise<FailOutcome>;
  release(lease: Lease, options?: ReleaseOptions): Promise<boolean>;
  /** Optional: a release after a 429 that counts it and refuses past a cap (TaskQueue has it). */
  throttle?(lease: Lease, options: ThrottleOptions): Promise<'delayed' | 'capped' | 'stale'>;
  wakeGeneration(lane: Lane): number;
  waitForWork(lane: Lane, options?: { since?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<boolean>;
  /**
   * Optional, for stores whose claims may answer `paused`: a counter of resumes, and a wait
   * for the next one. A store without them has its paused consumers wait on `waitForWork`.
   */
  resumeGeneration?(lane: Lane): number;
  waitForResume?(lane: Lane, options?: { since?: number; timeoutMs?: number; signal?: AbortSignal }): Promise<boolean>;
  /** The delay `fail` would pick for this attempt's retry when the error names none (the queue's backoff). Optional: without it the retry line has no `delayMs`. */
  backoffFor?(lease: Lease): number;
}

// Handler types live below both layers: the external-API client in src/infra/api uses them too.
export type { HandlerContext, HandlerMap, Logger, TaskHandler } from '../infra/handler-types.js';
