import pRetry, { AbortError } from 'p-retry';
import { Pool, type Dispatcher } from 'undici';
import { emptyApiCalls, failureClass, statusClass, type ApiCallCounts } from './api-calls.js';
import type { HandlerContext, TaskHandler } from '../handler-types.js';
import { GuardWaitError, HttpRequestError, HttpStatusError, OptionError, TasklaneError, toError } from '../errors.js';
import { withPermit, type GuardUse } from './guarded.js';
import { isRetryableStatus, readExcerpt, readResult, type HttpResult } from './http-response.js';
import { parseRetryAfter } from './retry-after.js';
import type { Lease } from '../types.js';
import { describe } from '../validate.js';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** The endpoint every task is POSTed to (`--api-url` / `EXTERNAL_API_URL`); http or https. */
  url: string;
  /** Keep-alive connections in the pool. Default 64. */
  connections?: number;
  /** In-process retries after the first try, before the task goes back to Redis. Default 2. */
  quickRetries?: number;
  /** Default 100. */
  quickRetryMinMs?: number;
  /** Default 1000. */
  quickRetryMaxMs?: number;
  /** A `Retry-After` up to this is waited in-process; a longer one becomes a durable delayed retry. Default 1000. */
  maxInProcessRetryAfterMs?: number;
  /** How much of an error response's body goes into the error message. Default 200. */
  bodyExcerptBytes?: number;
  /**
   * Long lane: how long a request may wait for the response headers, and then between two
   * chunks of its body (undici's `headersTimeout` and `bodyTimeout`), in ms. Default 300 000
   * (5 min). Short-lane requests are bounded by the task's deadline instead.
   */
  apiTimeoutMs?: number;
  /** How long opening a connection (TCP and TLS) may take, on both lanes. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * The API guard every request goes through (quick retries included), looked up at each
   * request: the runtime attaches it once its Redis connection is up. Default: none.
   */
  guard?: () => GuardUse | null;
}

/** The `http` task handler; `close()` closes its connection pool; `calls()` counts its requests by outcome class. */
export type HttpHandler = TaskHandler & { close(): Promise<void>; calls(): ApiCallCounts };

/** Long-lane headers and body timeout when none is given: 5 minutes, undici's own default, made explicit. */
export const DEFAULT_API_TIMEOUT_MS = 300_000;

/** The fail script refuses a retry delay past a year; a day already means "the API is gone". */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/**
 * Builds the default `http` handler: POSTs each task's payload as JSON to one endpoint and
 * resolves with `{ status, body }`. Transient failures (408, 429, 5xx, network) get a few quick
 * in-process retries; what is still failing after them, or asks via `Retry-After` for a longer
 * pause, is thrown as retryable so the engine retries durably without holding a worker slot.
 * Other 4xx throw a non-retryable {@link HttpStatusError}. Every try sends the task id as
 * `Idempotency-Key`, so the API can make repeats harmless.
 *
 * @example
 * const http = createHttpHandler({ url: 'http://127.0.0.1:8080/tasks' });
 * const handlers = { http };
 * // ...on shutdown:
 * await http.close();
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const opts = resolveOptions(options);
  // Set explicitly rather than left to undici's defaults: a long-lane task has no deadline, so
  // these are all that stops an API that accepts the connection and never answers.
  const pool = new Pool(opts.url.origin, {
    connections: opts.connections,
    headersTimeout: opts.apiTimeoutMs,
    bodyTimeout: opts.apiTimeoutMs,
    connect: { timeout: opts.connectTimeoutMs },
  });
  const path = `${opts.url.pathname}${opts.url.search}`;
  let closing: Promise<void> | undefined;
  const calls = emptyApiCalls();

  /** One HTTP request, counted by outcome class whether it is answered or not. */
  async function request(task: Lease, ctx: HandlerContext, body: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const res = await pool.request({
      path,
      method: 'POST',
      body,
      signal,
      // Short lane: the deadline's signal bounds the call, whatever its length; a pool
      // timeout shorter than the task's own timeoutMs would cut it short.
      ...(task.lane === 'short' ? { headersTimeout: 0, bodyTimeout: 0 } : {}),
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey(task.id),
        'x-tasklane-attempt': String(ctx.attempt),
        'x-tasklane-fence': String(ctx.fence),
      },
    }).catch((err: unknown) => {
      calls[failureClass(err, signal)] += 1;
      throw err;
    });
    calls[statusClass(res.statusCode)] += 1;
    return res;
  }

  function tryOnce(task: Lease, ctx: HandlerContext, body: string): Promise<HttpResult> {
    const use = opts.guard?.() ?? null;
    if (!use) return tryRequest(task, ctx, body, ctx.signal);
    return withPermit(use, task, ctx.signal, (signal) => tryRequest(task, ctx, body, signal));
  }

  async function tryRequest(task: Lease, ctx: HandlerContext, body: string, signal: AbortSignal): Promise<HttpResult> {
    const res = await request(task, ctx, body, signal);
    if (res.statusCode >= 200 && res.statusCode < 300) return readResult(res);
    const bodyExcerpt = await readExcerpt(res.body, opts.bodyExcerptBytes);
    if (!isRetryableStatus(res.statusCode)) {
      throw new AbortError(new HttpStatusError(res.statusCode, { retryable: false, bodyExcerpt }));
    }
    const parsed = parseRetryAfter(res.headers['retry-after']);
    const retryAfterMs = parsed === undefined ? undefined : Math.min(parsed, MAX_RETRY_AFTER_MS);
    const error = new HttpStatusError(res.statusCode, { retryable: true, retryAfterMs, bodyExcerpt });
    // Waiting out a long Retry-After here would hold a worker slot for the whole outage;
    // the durable retry parks the task in Redis instead.
    throw retryAfterMs !== undefined && retryAfterMs > opts.maxInProcessRetryAfterMs ? new AbortError(error) : error;
  }

  const handler = async (task: Lease, ctx: HandlerContext): Promise<HttpResult> => {
    const body = JSON.stringify(task.payload ?? null);
    // Earliest time the next try may start: a short Retry-After is honoured by waiting out
    // whatever p-retry's own backoff has not already covered.
    let notBefore = 0;
    return pRetry(async () => {
      try {
        await sleepUntil(notBefore, ctx.signal);
        return await tryOnce(task, ctx, body);
      } catch (err) {
        throw classify(err, ctx.signal);
      }
    }, {
      retries: opts.quickRetries,
      minTimeout: opts.quickRetryMinMs,
      maxTimeout: opts.quickRetryMaxMs,
      factor: 2,
      randomize: true,
      signal: ctx.signal,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        const wait = (error as { retryAfterMs?: number }).retryAfterMs;
        notBefore = wait === undefined ? 0 : Date.now() + wait;
        if (retriesLeft > 0) ctx.log.debug({ err: error, try: attemptNumber, retriesLeft }, 'http: quick retry');
      },
    }).catch((err: unknown) => {
      // p-retry rejects with the raw abort reason when the signal fires during its backoff.
      throw toError(err);
    });
  };

  return Object.assign(handler, {
    close: () => (closing ??= pool.close()),
    calls: () => ({ ...calls }),
  });
}

/**
 * Maps whatever a try threw to what p-retry should do with it: an abort of the task's signal
 * ends retrying with the signal's reason (the actor knows whether that was a deadline or a
 * lost lease); our own errors pass through; anything else is a transport failure, retryable.
 */
function classify(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return new AbortError(toError(signal.reason));
  if (err instanceof AbortError) return err;
  // The guard holds calls: the task waits in Redis; another quick retry would only wait too.
  if (err instanceof GuardWaitError) return new AbortError(err);
  if (err instanceof TasklaneError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  // A closed pool fails every try the same way; retrying in-process only burns the budget.
  // An API that let the whole timeout pass is unlikely to answer the next try: holding the
  // slot for another timeout helps nobody, so the task goes back for a durable retry.
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AbortError(new HttpRequestError(err));
  }
  return new HttpRequestError(err);
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  const ms = at - Date.now();
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The task id, sent as is when it is a plain header token, else percent-encoded. Header values
 * cannot carry control characters or (portably) non-ASCII. Raw keys never contain `%` and
 * encoded ones always do, so two distinct ids can never share a key.
 *
 * @example
 * idempotencyKey('order-42') // 'order-42'
 * idempotencyKey('tâche 1')  // 't%C3%A2che%201'
 */
export function idempotencyKey(id: string): string {
  return /^[\x21-\x24\x26-\x7e]+$/.test(id) ? id : encodeURIComponent(id);
}

type ResolvedOptions = Required<Omit<HttpHandlerOptions, 'url' | 'guard'>> & { url: URL; guard: HttpHandlerOptions['guard'] };

function resolveOptions(options: HttpHandlerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new OptionError('options', `Expected the http handler options to be an object, got ${describe(options)}`);
  }
  const quickRetryMinMs = int(options, 'quickRetryMinMs', 100, 0);
  return {
    url: checkUrl(options.url),
    connections: int(options, 'connections', 64, 1),
    quickRetries: int(options, 'quickRetries', 2, 0),
    quickRetryMinMs,
    quickRetryMaxMs: int(options, 'quickRetryMaxMs', Math.max(1000, quickRetryMinMs), quickRetryMinMs),
    maxInProcessRetryAfterMs: int(options, 'maxInProcessRetryAfterMs', 1000, 0),
    bodyExcerptBytes: int(options, 'bodyExcerptBytes', 200, 0),
    guard: options.guard,
    apiTimeoutMs: int(options, 'apiTimeoutMs', DEFAULT_API_TIMEOUT_MS, 1),
    connectTimeoutMs: int(options, 'connectTimeoutMs', 10_000, 1),
  };
}

function checkUrl(value: unknown): URL {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new OptionError('url', `Expected \`url\` to be an http or https URL, got ${describe(value)}`);
  }
  if (url.username || url.password) {
    // undici's Pool would silently drop them; better to say so than to send unauthenticated calls.
    throw new OptionError('url', 'Expected `url` to carry no credentials; put them in a proxy or the API\'s own auth');
  }
  return url;
}

function int(options: HttpHandlerOptions, name: keyof HttpHandlerOptions, fallback: number, min: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} and up, got ${describe(value)}`);
  }
  return value;
}
