// Turns the soak's samples into levels, slopes, a flatness verdict and bytes per task.

/**
 * The median of a list of numbers (NaN when empty).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. A garbage
 * collection or an expiry burst moves one point, which moves a least-squares fit
 * but hardly this.
 *
 * @example
 * theilSen([0, 1, 2, 3], [0, 2, 4, 60]) // 2
 */
export function theilSen(xs, ys) {
  const slopes = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  return median(slopes);
}

/**
 * The samples to judge flatness on: taken while tasks flowed, after both windows had
 * filled (`fullAtS`) and in the second half of the processing (`stopAtS / 2`).
 *
 * @example
 * const steady = steadySamples(series, 60, 140); // samples from t = 70 s to 140 s
 */
export function steadySamples(series, fullAtS, stopAtS) {
  const fromS = Math.max(fullAtS, stopAtS / 2);
  return series.filter((s) => s.phase === 'soak' && s.t >= fromS && s.t <= stopAtS);
}

/**
 * Level, slope and verdict of one series over the steady samples.
 *
 * Flat means: the Theil–Sen slope, extrapolated over `horizonMin` minutes, grows (or
 * shrinks) the series by at most `maxGrowth` of its level plus `slackBytes`. The slack
 * keeps a small level from failing on noise. Fewer than `minSamples` steady samples
 * is no verdict, and counts as not flat.
 *
 * @example
 * trend(steady, 'rssBytes', { horizonMin: 10, maxGrowth: 0.1, slackBytes: 16 << 20, minSamples: 5 })
 */
export function trend(samples, key, { horizonMin, maxGrowth, slackBytes, minSamples }) {
  const ts = samples.map((s) => s.t);
  const ys = samples.map((s) => s[key]);
  const levelBytes = median(ys);
  const slopeBytesPerMin = samples.length >= 2 ? theilSen(ts, ys) * 60 : NaN;
  const quarter = Math.floor(samples.length / 4);
  const growthOverHorizonBytes = slopeBytesPerMin * horizonMin;
  const allowedBytes = maxGrowth * levelBytes + slackBytes;
  const enough = samples.length >= minSamples;
  return {
    levelBytes: round(levelBytes),
    slopeBytesPerMin: round(slopeBytesPerMin),
    growthOverHorizonBytes: round(growthOverHorizonBytes),
    growthOverHorizonPct: round1((100 * growthOverHorizonBytes) / levelBytes),
    allowedBytes: round(allowedBytes),
    q3MedianBytes: quarter > 0 ? round(median(ys.slice(2 * quarter, 3 * quarter))) : null,
    q4MedianBytes: quarter > 0 ? round(median(ys.slice(3 * quarter))) : null,
    minBytes: Math.min(...ys),
    maxBytes: Math.max(...ys),
    samples: samples.length,
    verdict: !enough ? 'too few steady samples' : Math.abs(growthOverHorizonBytes) <= allowedBytes ? 'flat' : 'not flat',
    flat: enough && Math.abs(growthOverHorizonBytes) <= allowedBytes,
  };
}

/**
 * Redis bytes per task held in each window, from key censuses taken right after
 * used_memory reads (see keyCensus):
 * - `marker`: a finished task whose record expired but whose dedup marker is inside the
 *   dedup window: (used_memory − baseline) / markers, measured when only markers remain.
 * - `completed`: a finished task inside the completed retention (record with result,
 *   completed-index entry and dedup marker): what is above the baseline at the moment
 *   processing stopped, less the marker-only tasks at that moment, per record.
 *
 * @example
 * windowCosts({ baselineBytes, stop, markersOnly: { usedMemoryBytes, baselineBytes, markers } })
 */
export function windowCosts({ baselineBytes, stop, markersOnly }) {
  const markerPerTask = (markersOnly.usedMemoryBytes - markersOnly.baselineBytes) / markersOnly.markers;
  const markerOnlyAtStop = Math.max(0, stop.markers - stop.records);
  const completedPerTask = (stop.usedMemoryBytes - baselineBytes - markerPerTask * markerOnlyAtStop) / stop.records;
  return {
    completedWindow: { tasks: stop.records, markerOnlyTasksAlsoHeld: markerOnlyAtStop, bytesPerTask: round(completedPerTask) },
    dedupWindow: { tasks: markersOnly.markers, bytesPerTask: round(markerPerTask) },
  };
}

function round(n) {
  return Number.isFinite(n) ? Math.round(n) : null;
}

function round1(n) {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : null;
}
