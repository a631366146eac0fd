/**
 * Every error tasklane throws carries a stable `code`, so callers branch on
 * `err.code` rather than on message text, which may be reworded.
 *
 * @example
 * try { await queue.enqueue({ priority: -1 }); }
 * catch (err) { if (err instanceof ValidationError) console.log(err.field); }
 */
export const ErrorCode = {
  InvalidInput: 'TASKLANE_ERR_INVALID_INPUT',
  InvalidOption: 'TASKLANE_ERR_INVALID_OPTION',
  Closed: 'TASKLANE_ERR_CLOSED',
  UnexpectedReply: 'TASKLANE_ERR_UNEXPECTED_REPLY',
  NonRetryable: 'TASKLANE_ERR_NON_RETRYABLE',
  Timeout: 'TASKLANE_ERR_TIMEOUT',
  LeaseLost: 'TASKLANE_ERR_LEASE_LOST',
  HttpStatus: 'TASKLANE_ERR_HTTP_STATUS',
  HttpRequest: 'TASKLANE_ERR_HTTP_REQUEST',
  Handler: 'TASKLANE_ERR_HANDLER',
  UnknownTaskType: 'TASKLANE_ERR_UNKNOWN_TYPE',
  CrashLoop: 'TASKLANE_ERR_CRASH_LOOP',
  // The API guard: a task that waits for the external API is given back uncounted
  // (GuardWait); one answered 429 more often than the cap allows is dead-lettered (Throttled).
  GuardWait: 'TASKLANE_ERR_GUARD_WAIT',
  Throttled: 'TASKLANE_ERR_THROTTLED',
  // The `tasklane` CLI could not connect to Redis (exit code 3); the HTTP server's reads
  // that Redis did not answer in time (503).
  RedisUnavailable: 'TASKLANE_ERR_REDIS_UNAVAILABLE',
  // The operator HTTP server's answers (src/runtime/http), as `{ error: { code, message } }`.
  NotFound: 'TASKLANE_ERR_NOT_FOUND',
  MethodNotAllowed: 'TASKLANE_ERR_METHOD_NOT_ALLOWED',
  Unauthorized: 'TASKLANE_ERR_UNAUTHORIZED',
  // A loopback server refuses requests naming another Host (DNS rebinding).
  Forbidden: 'TASKLANE_ERR_FORBIDDEN',
  BodyTooLarge: 'TASKLANE_ERR_BODY_TOO_LARGE',
  InvalidJson: 'TASKLANE_ERR_INVALID_JSON',
  UnsupportedMediaType: 'TASKLANE_ERR_UNSUPPORTED_MEDIA_TYPE',
  NotCancellable: 'TASKLANE_ERR_NOT_CANCELLABLE',
  NotReady: 'TASKLANE_ERR_NOT_READY',
  // A Content-Encoding the server does not decode (415).
  UnsupportedEncoding: 'TASKLANE_ERR_UNSUPPORTED_ENCODING',
  // GET /tasks/:id of an id with no record that enqueue still refuses (404, with `refusedUntil`).
  IdRefused: 'TASKLANE_ERR_ID_REFUSED',
  // The client closed the connection before its request body was complete (logged at debug).
  ClientAborted: 'TASKLANE_ERR_CLIENT_ABORTED',
  // queue.forget of an id whose record still exists.
  IdInUse: 'TASKLANE_ERR_ID_IN_USE',
  // A change timed out waiting for Redis: it may or may not have been applied.
  OutcomeUnknown: 'TASKLANE_ERR_OUTCOME_UNKNOWN',
  // The queue's keys are stored in a key layout this version does not read (src/infra/layout.ts).
  Layout: 'TASKLANE_ERR_LAYOUT',
  // A sharded queue opened with another shard count than the one its tasks are stored under.
  ShardCount: 'TASKLANE_ERR_SHARD_COUNT',
  // durability 'replicated': no replica acknowledged a write within the timeout.
  NotReplicated: 'TASKLANE_ERR_NOT_REPLICATED',
  Internal: 'TASKLANE_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every tasklane error. */
export class TasklaneError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TasklaneError';
    this.code = code;
  }
}

/**
 * `queue.forget(id)` was refused: the id still has a record, and clearing its dedup marker
 * would let a new task overwrite it. Nothing was changed.
 */
export class IdInUseError extends TasklaneError {
  readonly id: string;

  constructor(id: string) {
    super(ErrorCode.IdInUse, `Task \`${id}\` still has a record; only the dedup marker of a purged or expired id can be forgotten`);
    this.name = 'IdInUseError';
    this.id = id;
  }
}

/**
 * A task input or a request body failed validation. Nothing was stored.
 * `field` names the offending field, e.g. `priority` or `inputs[3].lane`.
 */
export class ValidationError extends TasklaneError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(ErrorCode.InvalidInput, message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** A constructor or runtime option is out of range. */
export class OptionError extends TasklaneError {
  readonly option: string;

  constructor(option: string, message: string) {
    super(ErrorCode.InvalidOption, message);
    this.name = 'OptionError';
    this.option = option;
  }
}

/** The queue was closed; no further commands are sent. */
export class ClosedError extends TasklaneError {
  constructor() {
    super(ErrorCode.Closed, 'The queue is closed');
    this.name = 'ClosedError';
  }
}

/**
 * The queue is stored in a key layout this version of tasklane does not read: a newer
 * tasklane wrote it, or its layout key holds something no tasklane writes. Nothing was read
 * or written; every operation of the queue rejects with this error.
 *
 * @example
 * catch (err) { if (err instanceof LayoutError) console.error(err.found, err.expected); }
 */
export class LayoutError extends TasklaneError {
  readonly queue: string;
  /** What the layout key holds (`(not a string)` when it is another type). */
  readonly found: string;
  /** The layout this version reads and writes. */
  readonly expected: string;

  constructor({ queue, key, found, expected }: { queue: string; key: string; found: string; expected: string }) {
    const newer = /^\d{1,6}$/.test(found) && Number(found) > Number(expected);
    const shown = found.length > 40 ? `${JSON.stringify(found.slice(0, 40))}…` : JSON.stringify(found);
    super(ErrorCode.Layout, newer
      ? `queue \`${queue}\` is stored in key layout ${found} (${key}), written by a newer tasklane; this version reads layout ${expected} only. Nothing was read or written: run a tasklane that reads layout ${found} against this queue, or give this one another queue name`
      : `queue \`${queue}\` has ${key} = ${shown}, which is no key layout tasklane writes; this version reads layout ${expected}. Nothing was read or written: find what wrote that key (another program under the same prefix?), or give this queue another name`);
    this.name = 'LayoutError';
    this.queue = queue;
    this.found = found;
    this.expected = expected;
  }
}

/**
 * The queue is stored under another shard count than this TaskQueue's `shards`. Ids map to
 * shards by count, so reading them with another count would miss tasks and break dedup:
 * nothing was read or written.
 *
 * @example
 * catch (err) { if (err instanceof ShardCountError) console.error(err.found, err.expected); }
 */
export class ShardCountError extends TasklaneError {
  readonly queue: string;
  /** The shard count the queue is stored with. */
  readonly found: number;
  /** The shard count this TaskQueue was given. */
  readonly expected: number;

  constructor({ queue, found, expected }: { queue: string; found: number; expected: number }) {
    super(ErrorCode.ShardCount, `queue \`${queue}\` is stored in ${found} shard(s); this TaskQueue was opened with \`shards\` ${expected}. Nothing was read or written: give every process of the queue \`shards: ${found}\` (--shards ${found}, TASKLANE_SHARDS). A queue's shard count is fixed when it is first used, since ids (and their dedup markers) are found by it: for another count, use a new queue name`);
    this.name = 'ShardCountError';
    this.queue = queue;
    this.found = found;
    this.expected = expected;
  }
}

/**
 * durability 'replicated': the write ran on the master, but no replica acknowledged it within
 * the timeout, so a failover could still lose it. The write is not undone: retrying it is
 * safe (enqueue dedups by id; a completion with a stale fence is refused).
 */
export class NotReplicatedError extends TasklaneError {
  readonly script: string;

  constructor(script: string, timeoutMs: number) {
    super(ErrorCode.NotReplicated, `\`${script}\` ran on the master, but no replica acknowledged it within ${timeoutMs} ms (durability 'replicated'); a failover now could lose it. Is a replica attached and in sync?`);
    this.name = 'NotReplicatedError';
    this.script = script;
  }
}

/** A script answered with a shape this version does not understand. */
export class UnexpectedReplyError extends TasklaneError {
  constructor(script: string, reply: unknown) {
    super(ErrorCode.UnexpectedReply, `Unexpected reply from script \`${script}\`: ${JSON.stringify(reply)}`);
    this.name = 'UnexpectedReplyError';
  }
}

/**
 * Throw this from a handler to dead-letter the task at once, without retries.
 *
 * @example
 * if (!payload.email) throw new NonRetryableError('payload has no email');
 */
export class NonRetryableError extends TasklaneError {
  constructor(message: string, options?: { cause?: unknown }, code: ErrorCode = ErrorCode.NonRetryable) {
    super(code, message, options);
    this.name = 'NonRetryableError';
  }
}

/** A short-lane task ran past its deadline. Retryable. */
export class TaskTimeoutError extends TasklaneError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(ErrorCode.Timeout, `timed out after ${timeoutMs} ms`);
    this.name = 'TaskTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The worker no longer holds the task's lease; its result is discarded. */
export class LeaseLostError extends TasklaneError {
  constructor(taskId: string) {
    super(ErrorCode.LeaseLost, `lease lost for task \`${taskId}\``);
    this.name = 'LeaseLostError';
  }
}

/**
 * No handler is registered for a task's `type`. Not retryable as such; the runtime parks
 * such a task (uncounted) for a grace period first, and `graceMs` says how long that was.
 */
export class UnknownTaskTypeError extends NonRetryableError {
  readonly type: string;

  constructor(type: string, known: readonly string[], { graceMs }: { graceMs?: number } = {}) {
    const waited = graceMs ? ` after parking it for ${graceMs} ms (the unknown-type grace) with no worker that handles it` : '';
    super(`no handler for task type \`${type}\`${waited}; registered types: ${known.map((t) => `\`${t}\``).join(', ') || 'none'}`, undefined, ErrorCode.UnknownTaskType);
    this.name = 'UnknownTaskTypeError';
    this.type = type;
  }
}

/**
 * The external API answered with a status other than 2xx. `retryable` is false for a
 * permanent refusal (most 4xx), which dead-letters the task at once; `retryAfterMs` is set
 * when the server's `Retry-After` asked for a pause, which becomes the durable retry delay.
 *
 * @example
 * catch (err) { if (err instanceof HttpStatusError && err.status === 422) console.log(err.bodyExcerpt); }
 */
export class HttpStatusError extends TasklaneError {
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  /** The start of the response body, for the dead-letter record; `''` when empty. */
  readonly bodyExcerpt: string;

  constructor(status: number, options: { retryable: boolean; retryAfterMs?: number; bodyExcerpt?: string }) {
    const { retryable, retryAfterMs, bodyExcerpt = '' } = options;
    const wait = retryAfterMs === undefined ? '' : ` (retry after ${retryAfterMs} ms)`;
    super(ErrorCode.HttpStatus, `external API answered ${status}${wait}${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.retryable = retryable;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
    this.bodyExcerpt = bodyExcerpt;
  }
}

/**
 * The request to the external API got no complete answer: connection refused or reset,
 * DNS failure, or an undici timeout. Always retryable; the undici error is kept as `cause`.
 *
 * @example
 * catch (err) { if (err instanceof HttpRequestError) console.log(err.cause); }
 */
export class HttpRequestError extends TasklaneError {
  readonly retryable = true;

  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${(cause as { code?: string }).code ?? cause.name}: ${cause.message}` : String(cause);
    super(ErrorCode.HttpRequest, `request to the external API failed: ${detail}`, { cause });
    this.name = 'HttpRequestError';
  }
}

/**
 * The external API's guard says this call must wait longer than is worth holding a worker
 * slot (breaker open, a 429 pause, a long rate wait). The actor gives the task back to Redis
 * for `retryInMs`, its attempt uncounted; `throttles` 429s of this run count toward the cap.
 *
 * @example
 * catch (err) { if (err instanceof GuardWaitError) console.log(err.reason, err.retryInMs); }
 */
export class GuardWaitError extends TasklaneError {
  readonly retryInMs: number;
  readonly reason: string;
  readonly throttles: number;
  /** The cap of 429s per task (0: none); past it the task is dead-lettered with TASKLANE_ERR_THROTTLED. */
  readonly maxThrottles: number;
  /** Never counted as an attempt: the API was not failing this task. */
  readonly countAttempt = false;

  constructor(options: { retryInMs: number; reason: string; scope: string; throttles?: number; maxThrottles?: number }) {
    const { retryInMs, reason, scope, throttles = 0, maxThrottles = 0 } = options;
    super(ErrorCode.GuardWait, `the \`${scope}\` API guard holds calls for ${retryInMs} ms (${reason}); the task waits in Redis, its attempt uncounted`);
    this.name = 'GuardWaitError';
    this.retryInMs = Math.max(1, Math.ceil(retryInMs));
    this.reason = reason;
    this.throttles = throttles;
    this.maxThrottles = maxThrottles;
  }
}

/**
 * The external API answered 429 to this task more often than `--api-max-throttles` allows:
 * it is dead-lettered rather than given back once more.
 *
 * @example
 * if (dead.error.code === 'TASKLANE_ERR_THROTTLED') alertQuotaOwner();
 */
export class ThrottledError extends NonRetryableError {
  constructor(throttles: number, maxThrottles: number) {
    super(`the external API answered 429 (too many requests) ${throttles} times to this task, more than the cap of ${maxThrottles} (--api-max-throttles, TASKLANE_API_MAX_THROTTLES)`, undefined, ErrorCode.Throttled);
    this.name = 'ThrottledError';
  }
}

/** An error as JSON, the same for the CLI's `--json` and the HTTP API. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * The JSON body for an error that leaves the process: its code (TASKLANE_ERR_INTERNAL when
 * it has none), its message, and for a ValidationError the offending `field`.
 *
 * @example
 * errorBody(new ValidationError('priority', 'too big'))
 * // { error: { code: 'TASKLANE_ERR_INVALID_INPUT', message: 'too big', field: 'priority' } }
 */
export function errorBody(err: { readonly code?: unknown; readonly message: string }): ErrorBody {
  const code = typeof err.code === 'string' ? err.code : ErrorCode.Internal;
  if (err instanceof ValidationError) return { error: { code, message: err.message, field: err.field } };
  return { error: { code, message: err.message } };
}

/**
 * Wraps whatever a handler threw into an Error; a non-Error throw is kept as `cause`.
 *
 * @example
 * toError('boom').message // 'boom'
 */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const message = typeof thrown === 'string' ? thrown : `non-error thrown: ${safeString(thrown)}`;
  return new TasklaneError(ErrorCode.Handler, message, { cause: thrown });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
