/**
 * The CLI's failures and the exit code each one maps to. Commands throw; `exitCodeOf`
 * is the one place that turns an error into a process exit code.
 */
import { ErrorCode, OptionError, TasklaneError, ValidationError } from '../infra/errors.js';

/**
 * Exit codes of `tasklane`, as documented in every `--help`.
 *
 * @example
 * process.exitCode = ExitCode.Usage;
 */
export const ExitCode = {
  Ok: 0,
  /** The task is unknown, or not in the state the command needs; also any unexpected failure. */
  Failed: 1,
  /** Unknown command or flag, a bad value, or an invalid task input. */
  Usage: 2,
  /** Redis could not be reached. */
  RedisUnavailable: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line for every `--help`, so the codes read the same everywhere. */
export const EXIT_CODES_HELP = 'Exit codes: 0 ok (also a duplicate enqueue, or --all with nothing to do); 1 task not found or not in the state needed (or an unexpected error); 2 usage error or invalid input; 3 Redis unreachable or not answering.';

/**
 * The task asked for does not exist, or is not in the state the command needs (exit 1).
 *
 * @example
 * throw new NotFoundError('no task `a` in queue `default`');
 */
export class NotFoundError extends TasklaneError {
  /** `code` says more where the HTTP API does (a task that exists but cannot be cancelled). */
  constructor(message: string, code: ErrorCode = ErrorCode.NotFound) {
    super(code, message);
    this.name = 'NotFoundError';
  }
}

/**
 * The CLI could not connect to Redis, or lost it mid-command, or it did not answer in time (exit 3). `url` has any
 * password masked, so the error can be printed as is.
 *
 * @example
 * throw new RedisUnavailableError('redis://127.0.0.1:6379', 'connect ECONNREFUSED 127.0.0.1:6379');
 */
export class RedisUnavailableError extends TasklaneError {
  readonly url: string;

  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super(ErrorCode.RedisUnavailable, `cannot reach Redis at ${url}: ${detail}`, options);
    this.name = 'RedisUnavailableError';
    this.url = url;
  }
}

/**
 * What an ioredis failure looks like once the CLI's client has given up on the connection:
 * it does not retry (see connect.ts), so these surface instead of waiting forever.
 *
 * @example
 * isConnectionError(new Error('Connection is closed.')) // true
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)) return true;
  // "Command timed out": connect.ts bounds every command, so a Redis that stopped answering ends here.
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Command timed out/.test(err.message);
}

/**
 * The exit code for an error a command threw.
 *
 * @example
 * exitCodeOf(new ValidationError('priority', 'too big')) // 2
 */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof OptionError || err instanceof ValidationError) return ExitCode.Usage;
  if (err instanceof RedisUnavailableError || isConnectionError(err)) return ExitCode.RedisUnavailable;
  return ExitCode.Failed;
}
