/**
 * Outcome classes of calls to the external API, counted per process by the `http` handler
 * and summed by the supervisor into `tasklane_external_api_calls_total{class}`.
 * Every HTTP request counts once, quick in-process retries included, since each one is
 * load on the API.
 */
import { ErrorCode } from '../errors.js';

/**
 * `2xx`…`5xx` by status; `timeout` (deadline or undici timeout), `network` (no answer), `aborted` (lost lease, shutdown).
 *
 * @example
 * for (const key of API_CALL_CLASSES) counter.inc({ class: key }, stats.apiCalls[key]);
 */
export const API_CALL_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'aborted'] as const;
export type ApiCallClass = (typeof API_CALL_CLASSES)[number];

/** Cumulative calls per class since the counting process started. */
export type ApiCallCounts = Record<ApiCallClass, number>;

/**
 * Zero for every class.
 *
 * @example
 * const counts = emptyApiCalls(); counts['2xx'] += 1;
 */
export function emptyApiCalls(): ApiCallCounts {
  return Object.fromEntries(API_CALL_CLASSES.map((key) => [key, 0])) as ApiCallCounts;
}

/**
 * The class of an answered call.
 *
 * @example
 * statusClass(503) // '5xx'
 */
export function statusClass(status: number): ApiCallClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

const UNDICI_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The class of a call that got no status: the task's signal decides first, because undici
 * reports an abort as an ordinary error and only the signal's reason says why it fired.
 *
 * @example
 * failureClass(new Error('ECONNREFUSED'), signal) // 'network' while the signal has not aborted
 */
export function failureClass(err: unknown, signal: AbortSignal): ApiCallClass {
  if (signal.aborted) {
    const code = (signal.reason as { code?: unknown } | null)?.code;
    return code === ErrorCode.Timeout ? 'timeout' : 'aborted';
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNDICI_TIMEOUTS.has(code) ? 'timeout' : 'network';
}

/**
 * Adds `b` into a copy of `a`.
 *
 * @example
 * addApiCalls(live, exited)['5xx']
 */
export function addApiCalls(a: Readonly<ApiCallCounts>, b: Readonly<ApiCallCounts> | null | undefined): ApiCallCounts {
  const total = { ...a };
  if (b) for (const key of API_CALL_CLASSES) total[key] += b[key];
  return total;
}
