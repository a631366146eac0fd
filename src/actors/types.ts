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
}

/** Structured logger; pino's instances fit. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
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
