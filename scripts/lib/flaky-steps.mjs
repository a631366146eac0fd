// Behaviour model of the flaky API: option checks, the seeded random source, and the
// normalisation of scripted steps. Kept apart from the HTTP plumbing in flaky-api.mjs.

const DEFAULTS = Object.freeze({
  latencyMs: [0, 0],
  failRate: 0,
  throttleRate: 0,
  throttleRetryAfterS: 1,
  hangRate: 0,
  permanentTypes: [],
  quota: null,
  outage: false,
});

/**
 * One normalised behaviour for one request.
 * @typedef {{ kind: 'respond', status: number, retryAfter?: number | string, body?: unknown, delayMs?: number }
 *         | { kind: 'hang' } | { kind: 'reset' }} Step
 */

/**
 * Turns a scripted step into a {@link Step}. Accepted forms:
 * `200`, `'500'`, `'hang'` (never answers until the client gives up), `'reset'` (drops the
 * connection: a network error), or `{ status, retryAfter?, body?, delayMs? }` where
 * `retryAfter` is seconds (number) or a raw header value (string, e.g. an HTTP date).
 *
 * @example
 * toStep('500')                          // { kind: 'respond', status: 500 }
 * toStep({ status: 429, retryAfter: 1 }) // { kind: 'respond', status: 429, retryAfter: 1 }
 */
export function toStep(step) {
  if (step === 'hang' || step === 'reset') return { kind: step };
  if (typeof step === 'number' || (typeof step === 'string' && /^\d{3}$/.test(step))) {
    return { kind: 'respond', status: checkStatus(Number(step)) };
  }
  if (step !== null && typeof step === 'object' && !Array.isArray(step)) {
    if (step.status === 'hang' || step.status === 'reset') return { kind: step.status };
    const { status, retryAfter, body, delayMs } = step;
    if (retryAfter !== undefined && typeof retryAfter !== 'number' && typeof retryAfter !== 'string') {
      throw new TypeError(`Expected \`retryAfter\` to be seconds or a header string, got \`${String(retryAfter)}\` (${typeof retryAfter})`);
    }
    if (delayMs !== undefined) checkNumber('delayMs', delayMs, 0);
    return { kind: 'respond', status: checkStatus(status), retryAfter, body, delayMs };
  }
  throw new TypeError(`Expected a step to be a status, \`'hang'\`, \`'reset'\` or \`{ status, retryAfter?, body?, delayMs? }\`, got \`${JSON.stringify(step)}\` (${typeof step})`);
}

/**
 * Validates and fills in the options of startFlakyApi (all but `port`, `host` and `seed`,
 * which are fixed at start); {@link FlakyApi.configure} reuses it for live changes.
 */
export function checkBehaviour(options, base = DEFAULTS) {
  const merged = { ...base, ...options };
  const [min, max] = Array.isArray(merged.latencyMs) ? merged.latencyMs : [];
  if (typeof min !== 'number' || typeof max !== 'number' || !(min >= 0) || !(max >= min)) {
    throw new TypeError(`Expected \`latencyMs\` to be [min, max] with 0 <= min <= max, got \`${JSON.stringify(merged.latencyMs)}\``);
  }
  for (const name of ['failRate', 'throttleRate', 'hangRate']) checkNumber(name, merged[name], 0, 1);
  checkNumber('throttleRetryAfterS', merged.throttleRetryAfterS, 0);
  if (!Array.isArray(merged.permanentTypes) || !merged.permanentTypes.every((t) => typeof t === 'string')) {
    throw new TypeError(`Expected \`permanentTypes\` to be an array of strings, got \`${JSON.stringify(merged.permanentTypes)}\``);
  }
  if (typeof merged.outage !== 'boolean') throw new TypeError(`Expected \`outage\` to be a boolean, got \`${String(merged.outage)}\``);
  if (merged.quota !== null) {
    const { limit, windowMs } = merged.quota ?? {};
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowMs) || windowMs < 1) {
      throw new TypeError(`Expected \`quota\` to be null or { limit, windowMs } with whole numbers from 1, got \`${JSON.stringify(merged.quota)}\``);
    }
  }
  return { ...merged, latencyMs: [min, max], permanentTypes: [...merged.permanentTypes] };
}

/**
 * A seeded PRNG (mulberry32) so a chaos run can be replayed; Math.random without a seed.
 *
 * @example
 * const random = randomSource(42); random() // same sequence on every run
 */
export function randomSource(seed) {
  if (seed === undefined) return Math.random;
  checkNumber('seed', seed, 0);
  let a = Math.floor(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkStatus(status) {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new TypeError(`Expected \`status\` to be an HTTP status from 200 to 599, got \`${String(status)}\` (${typeof status})`);
  }
  return status;
}

function checkNumber(name, value, min, max = Infinity) {
  if (typeof value !== 'number' || !(value >= min) || !(value <= max)) {
    const range = max === Infinity ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new TypeError(`Expected \`${name}\` to be a number ${range}, got \`${String(value)}\` (${typeof value})`);
  }
}
