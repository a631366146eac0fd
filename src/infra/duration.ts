/** Milliseconds per unit a duration may carry; no unit means milliseconds. */
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

type Unit = keyof typeof UNITS;

/**
 * A duration written by a person, in milliseconds: a bare number is milliseconds, or a
 * number with `ms`, `s`, `m` or `h`; a fraction is rounded to the millisecond. Null when
 * the text is not a duration, so that each caller words the error for its own flag.
 *
 * @example
 * parseDuration('1.5s') // 1500
 * parseDuration('2m')   // 120000
 * parseDuration('soon') // null
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * UNITS[(match[2] ?? 'ms') as Unit]);
}
