// Small statistics helpers for the benchmark.

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
 * Nearest-rank percentile of an ascending array (`p` in 0..100).
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
