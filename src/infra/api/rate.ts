import { OptionError } from '../errors.js';

/** A rate limit: at most `limit` calls in any window of `periodMs`. */
export interface ApiRate {
  readonly limit: number;
  readonly periodMs: number;
}

const PERIODS: Record<string, number> = { s: 1000, m: 60_000 };
const MAX_LIMIT = 1_000_000;

/**
 * Parses `N/s` or `N/m` (`--api-rate`, `TASKLANE_API_RATE`).
 *
 * @example
 * parseApiRate('100/s') // { limit: 100, periodMs: 1000 }
 * parseApiRate('600/m', '--api-rate') // { limit: 600, periodMs: 60000 }
 */
export function parseApiRate(text: string, field = 'apiRate'): ApiRate {
  const match = /^\s*(\d+)\s*\/\s*([sm])\s*$/.exec(text);
  const limit = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new OptionError(field, `Expected \`${field}\` to be N/s or N/m with N from 1 to ${MAX_LIMIT}, got ${JSON.stringify(text)}`);
  }
  return { limit, periodMs: PERIODS[match[2]!]! };
}
