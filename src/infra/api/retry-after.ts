const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// The three HTTP-date forms of RFC 9110 §5.6.7, which recipients must all accept. Matched
// strictly because Date.parse() turns plenty of garbage ("1", "a 5") into some date.
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC_850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/**
 * Reads a `Retry-After` header, in either of its forms (delay-seconds or HTTP-date), as a
 * delay in ms from `now`. A date in the past gives 0. Anything malformed gives undefined,
 * so a garbled header falls back to ordinary backoff instead of an arbitrary wait.
 *
 * @example
 * parseRetryAfter('2') // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 30)) // 30000
 * parseRetryAfter('soon') // undefined
 */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  // A repeated header arrives as an array; the first occurrence wins, as for most single-valued fields.
  const raw = Array.isArray(header) ? header[0] : header;
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  if (/^\d+$/.test(value)) {
    const ms = Number(value) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const at = parseHttpDate(value, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

function parseHttpDate(value: string, now: number): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);
  m = RFC_850.exec(value);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(String(year), m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME.exec(value);
  if (m) return utc(m[6], m[1], m[2], m[3], m[4], m[5]);
  return undefined;
}

function utc(year?: string, monthName?: string, day?: string, hour?: string, minute?: string, second?: string): number | undefined {
  const month = MONTHS.indexOf(monthName?.toLowerCase() ?? '');
  const [y, d, h, mi, s] = [year, day, hour, minute, second].map((p) => Number(p?.trim() || NaN)) as [number, number, number, number, number];
  if (month < 0 || ![y, d, h, mi, s].every(Number.isInteger)) return undefined;
  if (d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  // A leap second (:60) is clamped rather than rolled over into the next minute.
  const ms = Date.UTC(y, month, d, h, mi, Math.min(s, 59));
  // Reject 31 Feb and the like: Date.UTC silently rolls them over into the next month.
  return new Date(ms).getUTCDate() === d ? ms : undefined;
}
