import type { ClaimBatch, ClaimOptions, FailOptions, FailOutcome, Lane, Lease, ReleaseOptions } from '../infra/types.js';

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

/** Structured logger; pino's instances fit. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
  /** Optional (pino has it): lets hot paths skip building a line the level drops. Missing means every level is enabled. */
  isLevelEnabled?(level: string): boolean;
  /** Optional (pino has it): the keys bound so far, so that a child binds each key once. */
  bindings?(): Record<string, unknown>;
}

/** What a handler receives besides the task. */
export interface HandlerContext {
  /** Aborts on the short-lane deadline, on a lost lease, and on forced shutdown. */
  signal: AbortSignal;
  /** 1-based attempt number (durable attempts; in-process retries share one). */
  attempt: number;
  /** The lease's fencing token. */
  fence: number;
  /** Renews the lease now; false when it is lost. Long tasks are also renewed automatically. */
  heartbeat(): Promise<boolean>;
  log: Logger;
}

/** A task handler. Its resolved value is stored as the task's result (JSON). */
export type TaskHandler = (task: Lease, ctx: HandlerContext) => Promise<unknown>;

/** Handlers by task `type`. */
export type HandlerMap = Readonly<Record<string, TaskHandler>>;
