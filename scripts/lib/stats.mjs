// Small statistics helpers shared by the benchmarks (bench/) and the demo scripts.

/**
 * Median of the finite numbers in `values`, or null when there are none.
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/**
 * Nearest-rank percentile of an ascending array (`p` in 0..100), or null when it is empty.
 *
 * @example
 * percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/**
 * @example
 * sum([1, 2]) // 3
 */
export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Rounded to one decimal; null for NaN and infinities (JSON has no place for them).
 *
 * @example
 * round1(2.46) // 2.5
 */
export function round1(n) {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : null;
}
