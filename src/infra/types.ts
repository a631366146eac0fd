/** The two lanes. Short tasks run under a deadline; long tasks are kept alive by heartbeats. */
export const LANES = ['short', 'long'] as const;
export type Lane = (typeof LANES)[number];

/** Every state a task record can be in. See README "Task lifecycle" for the transitions. */
export const TASK_STATES = ['waiting', 'delayed', 'active', 'completed', 'dead', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** What a producer submits. Every field is optional. */
export interface TaskInput {
  /** Dedup key; enqueueing the same id again is a no-op. Default: a random UUID. */
  id?: string;
  /** Picks the handler. Default `http`. */
  type?: string;
  payload?: unknown;
  /** Default `short`. */
  lane?: Lane;
  /** Lower runs first; FIFO within a priority. Default 1000. */
  priority?: number;
  /** Hold the task back this long before it may be claimed. */
  delayMs?: number;
  /** Attempts before the task is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Short-lane deadline per attempt; unset means the actor's default. */
  timeoutMs?: number;
}

/** The last failure recorded on a task, as plain data. */
export interface TaskErrorInfo {
  name: string;
  message: string;
  code?: string;
  status?: number;
}

/** A task record as stored. */
export interface TaskInfo {
  id: string;
  type: string;
  lane: Lane;
  priority: number;
  payload: unknown;
  state: TaskState;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  fence: number;
  /** How many times a lease on this task was lost (expired or its worker died). */
  stalls: number;
  owner?: string;
  result?: unknown;
  error?: TaskErrorInfo;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  runAt?: number;
}

/** A claimed task. Pass it back to heartbeat/complete/fail/release. */
export interface Lease {
  id: string;
  /** Increments on every claim; only the current fence may write the outcome. */
  fence: number;
  /** 1 for the first attempt. */
  attempt: number;
  owner: string;
  type: string;
  payload: unknown;
  lane: Lane;
  priority: number;
  /** 0 when the task set none. */
  timeoutMs: number;
  maxAttempts: number;
  createdAt: number;
  /** Server-clock ms at which the lease lapses unless renewed. */
  expiresAt: number;
  /**
   * Server-clock ms since when the task was claimable before this claim: its enqueue, the
   * due time of a delay or retry backoff, or when it was last released, requeued after a
   * lost lease or replayed from the dead letters. `claimedAt - readyAt` is this claim's wait.
   */
  readyAt: number;
  /** Server-clock ms of this claim (the record's `startedAt`). */
  claimedAt: number;
  /** Lease length granted by the claim; the default for heartbeats. */
  leaseMs: number;
}

export interface EnqueueResult {
  id: string;
  duplicate: boolean;
}

export interface QueueStats {
  waiting: { short: number; long: number };
  delayed: number;
  active: number;
  completed: number;
  dead: number;
  /** Lanes whose claims are paused (`queue.pause`). */
  paused: { short: boolean; long: boolean };
}

/**
 * What `queue.refusal(id)` reports for an id without a record that enqueue still refuses:
 * its record was purged or expired, and its dedup marker lasts until `refusedUntil`.
 */
export interface IdRefusal {
  id: string;
  state: 'refused';
  /** Server ms when enqueue accepts the id again; null for a marker without an expiry. */
  refusedUntil: number | null;
}

export interface ClaimOptions {
  max: number;
  leaseMs: number;
  owner: string;
}

export interface ClaimBatch {
  leases: Lease[];
  /** Milliseconds until the earliest delayed task is due, or null when none is delayed. */
  nextDueInMs: number | null;
  /** Records found corrupt or missing during this claim; they were dead-lettered. */
  corrupt: number;
  /** The lane is paused: nothing was claimed. Wait for a resume (`waitForResume`), not for work. */
  paused?: boolean;
}

export type FailOutcome = 'retrying' | 'dead' | 'stale';

export interface ReleaseOptions {
  /** Park the task: claimable again only after this delay (ms), its attempts left as they were. Default 0: waiting at once. */
  delayMs?: number;
}

/** Options of `TaskQueue.throttle`. */
export interface ThrottleOptions {
  /** Claimable again after this delay (ms): the 429's pause. */
  delayMs: number;
  /** 429s to add to the task's count. Default 1. */
  throttles?: number;
  /** Past this count the task is not given back ('capped'). Default 0: no cap. */
  maxThrottles?: number;
}

export interface FailOptions {
  /** Default true. False dead-letters at once. */
  retryable?: boolean;
  /** Delay before the durable retry; default: exponential backoff with jitter. */
  retryInMs?: number;
}
