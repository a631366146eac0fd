// Turns the soak's samples into levels, slopes, a flatness verdict and bytes per task.
import { median as finiteMedian, round1 } from '../../scripts/lib/stats.mjs';

/**
 * The median of a list of numbers, NaN when there is none: a verdict over too few samples
 * then carries NaN (null in the JSON) instead of a made-up 0.
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export const median = (values) => finiteMedian(values) ?? NaN;

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
 * The samples to judge flatness on: taken while the producer was still enqueueing
 * (until `producedAtS`; after it the backlog drains), after both windows had filled
 * (`fullAtS`), and in the second half of that time.
 *
 * @example
 * const steady = steadySamples(series, 60, 140); // samples from t = 70 s to 140 s
 */
export function steadySamples(series, fullAtS, producedAtS) {
  const fromS = Math.max(fullAtS, producedAtS / 2);
  return series.filter((s) => s.phase === 'soak' && s.t >= fromS && s.t <= producedAtS);
}

/**
 * Adds to each sample the keys that were live (not expired) when it was taken, the
 * expired keys Redis still held (INFO keyspace counts them until its sampling expiry or
 * an access frees them), and what used_memory would have been with those freed,
 * assuming expired keys are on average as large as live ones.
 * Live keys: the records of the completed window (its index is trimmed to it), the
 * markers of tasks completed within the dedup window (from the `done` series), and the
 * waiting and active records.
 *
 * @example
 * addLiveKeys(series, 60_000, baselineBytes);
 * series.at(-1).expiredKeys // 12345
 */
export function addLiveKeys(series, dedupWindowMs, baselineBytes) {
  const doneAt = (t) => {
    if (t <= series[0].t) return 0;
    const i = series.findIndex((s) => s.t >= t);
    if (i < 0) return series.at(-1).done;
    const [a, b] = [series[i - 1], series[i]];
    return a.done + ((b.done - a.done) * (t - a.t)) / (b.t - a.t);
  };
  for (const s of series) {
    const markers = Math.round(s.done - doneAt(s.t - dedupWindowMs / 1000));
    s.liveKeys = s.completedInWindow + markers + s.waiting + s.active;
    s.expiredKeys = Math.max(0, s.keys - s.liveKeys);
    s.usedMemoryLiveBytes = s.keys > 0 ? Math.round(baselineBytes + ((s.usedMemoryBytes - baselineBytes) * Math.min(s.keys, s.liveKeys)) / s.keys) : s.usedMemoryBytes;
  }
}

/**
 * Level, slope and verdict of one series over the steady samples.
 *
 * Flat means: the median of the second half of the steady samples exceeds the median
 * of the first half by at most `maxGrowth` of the level (the median of all of them)
 * plus `slack`. Medians of halves shrug off a garbage collection or an expiry burst,
 * and need no extrapolation, so a short quick run gets a fair verdict too. A fall is
 * reported but passes: it is memory given back (a major GC, Redis catching up on
 * expired keys), not memory held on to. The
 * Theil–Sen slope (bytes per minute) is reported beside it, with what it would add
 * over `horizonMin` minutes. Fewer than `minSamples` steady samples is no verdict,
 * and counts as not flat.
 *
 * @example
 * judge(steady, 'rssBytes', { maxGrowth: 0.1, slack: 8 * 1024 * 1024, minSamples: 6, horizonMin: 10 })
 */
export function judge(samples, key, { maxGrowth, slack, minSamples, horizonMin }) {
  const ts = samples.map((s) => s.t);
  const ys = samples.map((s) => s[key]);
  const half = Math.floor(ys.length / 2);
  const level = median(ys);
  const firstHalf = median(ys.slice(0, half));
  const secondHalf = median(ys.slice(ys.length - half));
  const change = secondHalf - firstHalf;
  const allowed = maxGrowth * level + slack;
  const slopePerMin = samples.length >= 2 ? theilSen(ts, ys) * 60 : NaN;
  const enough = samples.length >= minSamples;
  const flat = enough && change <= allowed;
  return {
    level: round(level),
    firstHalfMedian: round(firstHalf),
    secondHalfMedian: round(secondHalf),
    change: round(change),
    changePct: round1((100 * change) / level),
    allowed: round(allowed),
    slopePerMin: round(slopePerMin),
    slopeOverHorizonPct: round1((100 * slopePerMin * horizonMin) / level),
    min: samples.length > 0 ? Math.min(...ys) : null,
    max: samples.length > 0 ? Math.max(...ys) : null,
    samples: samples.length,
    verdict: !enough ? 'too few steady samples' : flat ? 'flat' : 'not flat',
    flat,
  };
}

/**
 * Redis bytes per task held in each window, from key censuses (see keyCensus):
 * - `dedupWindow`: a finished task whose record has expired but whose dedup marker is
 *   inside the dedup window: what the calibration's markers add to used_memory, per
 *   marker. `markersLeft` (the soak's own markers once its records had expired, when
 *   the dedup window is the longer) is reported beside it.
 * - `completedWindow`: a finished task inside the completed retention (record with
 *   result, completed-index entry and dedup marker): used_memory above the empty
 *   baseline when processing stopped, less the markers held alone at that moment, per
 *   record. Nothing waits or runs then.
 * Both include their share of Redis's key tables, sized for the most keys held so far.
 *
 * @example
 * windowCosts({ baselineBytes, stop, markersOnly: { usedMemoryBytes, baselineBytes, markers } })
 */
export function windowCosts({ baselineBytes, stop, markersOnly, markersLeft }) {
  const markerPerTask = (markersOnly.usedMemoryBytes - markersOnly.baselineBytes) / markersOnly.markers;
  const markerOnlyAtStop = Math.max(0, stop.markers - stop.records);
  const completedPerTask = (stop.usedMemoryBytes - baselineBytes - markerPerTask * markerOnlyAtStop) / stop.records;
  const inRun = markersLeft?.markers > 0 ? { tasks: markersLeft.markers, bytesPerTask: round((markersLeft.usedMemoryBytes - baselineBytes) / markersLeft.markers) } : null;
  return {
    completedWindow: { tasks: stop.records, markerOnlyTasksAlsoHeld: markerOnlyAtStop, bytesPerTask: round(completedPerTask) },
    dedupWindow: { tasks: markersOnly.markers, bytesPerTask: round(markerPerTask), method: 'calibration', inRun },
  };
}

function round(n) {
  return Number.isFinite(n) ? Math.round(n) : null;
}
