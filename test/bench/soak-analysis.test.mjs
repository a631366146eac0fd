import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judge, median, steadySamples, theilSen, windowCosts } from '../../bench/lib/soak-analysis.mjs';

const MIB = 1024 * 1024;
const CRITERION = { maxGrowth: 0.1, slack: 8 * MIB, minSamples: 6, horizonMin: 10 };

/** One sample every 2 s from t = 0 with `value(t)`. */
function samples(count, value) {
  return Array.from({ length: count }, (_, i) => ({ t: 2 * i, phase: 'soak', rssBytes: value(2 * i) }));
}

const stats = suite('soak-analysis: median and theilSen');

stats('median of odd and even lists, NaN when empty', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

stats('theilSen ignores one outlier that would tilt a least-squares line', () => {
  assert.is(theilSen([0, 1, 2, 3, 4], [0, 2, 4, 6, 1000]), 2);
});

stats.run();

const steady = suite('soak-analysis: steadySamples');

steady('keeps soak samples after the windows fill, in the second half of the producing time', () => {
  const series = [...samples(100, () => 0), { t: 200, phase: 'tail', rssBytes: 0 }];
  const kept = steadySamples(series, 60, 150);
  assert.is(kept[0].t, 76); // max(60, 150 / 2) = 75, next sample at 76
  assert.is(kept.at(-1).t, 150);
  assert.ok(kept.every((s) => s.phase === 'soak'));
  assert.is(steadySamples(series, 120, 150)[0].t, 120);
});

steady.run();

const verdict = suite('soak-analysis: judge');

verdict('a level with GC noise is flat, and its slope is near 0', () => {
  const j = judge(samples(40, (t) => 120 * MIB + (t % 6 === 0 ? 10 * MIB : 0)), 'rssBytes', CRITERION);
  assert.is(j.verdict, 'flat');
  assert.ok(Math.abs(j.slopePerMin) < MIB, `slope ${j.slopePerMin}`);
});

verdict('growth of more than 10% of the level plus the slack between the halves is not flat', () => {
  const j = judge(samples(40, (t) => 100 * MIB + t * MIB), 'rssBytes', CRITERION); // +40 MiB between the half medians; allowed 21.9
  assert.is(j.verdict, 'not flat');
  assert.is(j.flat, false);
  assert.ok(j.change > j.allowed);
  assert.is(j.slopePerMin, 60 * MIB);
});

verdict('growth within the allowance is flat', () => {
  const j = judge(samples(40, (t) => 100 * MIB + t * 0.2 * MIB), 'rssBytes', CRITERION); // +8 MiB between the half medians; allowed 18.8
  assert.is(j.verdict, 'flat');
});

verdict('a fall passes: it is memory given back', () => {
  const j = judge(samples(40, (t) => 200 * MIB - t * MIB), 'rssBytes', CRITERION);
  assert.ok(j.change < -j.allowed);
  assert.is(j.verdict, 'flat');
});

verdict('too few samples is no verdict and not flat', () => {
  const j = judge(samples(5, () => MIB), 'rssBytes', CRITERION);
  assert.is(j.verdict, 'too few steady samples');
  assert.is(j.flat, false);
});

verdict.run();

const costs = suite('soak-analysis: windowCosts');

costs('splits used_memory into records with markers and markers alone', () => {
  // 1000 records with markers at 2000 B each, 500 markers alone at 100 B each, over a 1 MB baseline.
  const stop = { records: 1000, markers: 1500, usedMemoryBytes: 1_000_000 + 1000 * 2000 + 500 * 100 };
  const markersOnly = { markers: 10_000, baselineBytes: 3_000_000, usedMemoryBytes: 3_000_000 + 10_000 * 100 };
  const c = windowCosts({ baselineBytes: 1_000_000, stop, markersOnly });
  assert.is(c.completedWindow.bytesPerTask, 2000);
  assert.is(c.completedWindow.markerOnlyTasksAlsoHeld, 500);
  assert.is(c.dedupWindow.bytesPerTask, 100);
  assert.is(c.dedupWindow.inRun, null);
});

costs.run();
