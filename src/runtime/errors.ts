import { ErrorCode, TasklaneError } from '../infra/errors.js';

/**
 * Worker slots kept crashing right after start and the supervisor stopped restarting
 * them: one slot (`worker:abandoned`), or all of them, when no worker can run (`runtime:failed`).
 */
export class CrashLoopError extends TasklaneError {
  /** The slots given up (`w0`, `w1`…). */
  readonly workers: readonly string[];
  readonly crashes: number;

  constructor({ workers, crashes, lastError, all = false }: { workers: readonly string[]; crashes: number; lastError: string | undefined; all?: boolean }) {
    const last = `Last error: ${lastError ?? 'none reported (see the worker log above)'}`;
    super(ErrorCode.CrashLoop, all
      ? `no worker can run: every worker (${workers.join(', ')}) crashed ${crashes} times in a row right after starting. ${last}`
      : `worker ${workers.join(', ')} crashed ${crashes} times in a row right after starting; not restarting it. ${last}`);
    this.name = 'CrashLoopError';
    this.workers = workers;
    this.crashes = crashes;
  }
}

/**
 * Redis did not answer within `redisWaitMs` (--redis-wait) at start-up; no worker was
 * started. The supervisor exits 3, like the `tasklane` CLI when Redis is unreachable.
 */
export class RedisWaitError extends TasklaneError {
  readonly waitedMs: number;

  constructor({ redis, waitedMs, reason }: { redis: string; waitedMs: number; reason: string }) {
    super(ErrorCode.RedisUnavailable, `Redis at ${redis} did not answer within ${waitedMs} ms (--redis-wait, TASKLANE_REDIS_WAIT): ${reason}; no worker was started`);
    this.name = 'RedisWaitError';
    this.waitedMs = waitedMs;
  }
}
