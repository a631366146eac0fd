/**
 * Errors of the runtime. Like every tasklane error they carry a stable string `code`.
 *
 * `CrashLoopError` is not (yet) a `TasklaneError` subclass only because its code is not
 * in the shared `ErrorCode` table; see the note in the runtime's hand-off report.
 *
 * @example
 * runtime.on('runtime:failed', (err) => { if (err.code === 'TASKLANE_ERR_CRASH_LOOP') alert(err.message); });
 */
export const RuntimeErrorCode = {
  CrashLoop: 'TASKLANE_ERR_CRASH_LOOP',
} as const;

export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

/** A worker slot kept crashing right after start; the supervisor stopped restarting it. */
export class CrashLoopError extends Error {
  readonly code: RuntimeErrorCode = RuntimeErrorCode.CrashLoop;
  /** Which worker slot gave up (`w0`, `w1`…). */
  readonly worker: string;
  readonly crashes: number;

  constructor(worker: string, crashes: number, lastError: string | undefined) {
    super(`worker ${worker} crashed ${crashes} times in a row right after starting; not restarting it. Last error: ${lastError ?? 'none reported (see the worker log above)'}`);
    this.name = 'CrashLoopError';
    this.worker = worker;
    this.crashes = crashes;
  }
}
