// The soak's console report and its plot.
import { fmt } from './report.mjs';
import { soakSvg } from './soak-svg.mjs';

const MIB = 1024 * 1024;

/**
 * Prints the soak's numbers and verdicts.
 *
 * @example
 * printReport(summary, config, 'bench/soak.svg');
 */
export function printReport(s, config, svgPath) {
  const b = s.bytesPerTask;
  const tp = s.steadyThroughputPerSec;
  console.log(`wall ${s.wallSeconds} s: processing ${s.processingSeconds} s, then ${s.tailSeconds} s until both windows were empty, ` +
    `then ${s.calibrationSeconds} s of marker calibration`);
  console.log(`throughput ${fmt(s.throughputPerSec, 0)} tasks/s (steady samples: median ${fmt(tp.median, 0)}, ${fmt(tp.min, 0)}–${fmt(tp.max, 0)}); ` +
    `${s.completed} completed, ${s.duplicates} duplicates, ${s.failedAttempts} failed attempts, ${s.storeErrors} store errors`);
  console.log(`steady samples: ${s.steady.samples} from ${s.steady.fromS} s to ${s.steady.toS} s (windows full at ${s.windowsFullAtS} s, last enqueue at ${s.producedAtS} s)`);
  if (s.steady.samples < s.minSteadySamples) {
    console.log('too few steady samples to judge flatness: the producer must go on well past the windows filling; use more --tasks, shorter windows or a --rate');
  }
  console.log(series('worker RSS', s.workerRss, mib, config.horizonMin));
  console.log(series('redis used_memory', s.redisUsedMemory, mib, config.horizonMin));
  const e = s.redisExpiredNotReclaimed;
  console.log(`${''.padEnd(18)} of which expired keys Redis had not freed yet: median ${pct(e.medianShareOfKeys)}, max ${pct(e.maxShareOfKeys)} of keys; ` +
    `without them: level ${mib(e.usedMemoryIfFreed.level)}, range ${mib(e.usedMemoryIfFreed.min)}–${mib(e.usedMemoryIfFreed.max)}, slope ${signed(e.usedMemoryIfFreed.slopePerMin, mib)}/min`);
  console.log(series('redis bytes/key', s.redisBytesPerKey, bytes, config.horizonMin));
  console.log(`${'redis after'.padEnd(18)} both windows expired: ${signed(s.residualAfterWindows.bytes, mib)} from the empty baseline ` +
    `(allowed ${mib(s.residualAfterWindows.allowed)}): ${s.residualAfterWindows.ok ? 'OK' : 'LEAK'}`);
  console.log(`${'redis bytes/task'.padEnd(18)} completed window ${fmt(b.completedWindow.bytesPerTask, 0)} B (${fmt(b.completedWindow.tasks, 0)} tasks: record + result + index entry + marker); ` +
    `dedup window ${fmt(b.dedupWindow.bytesPerTask, 0)} B (${fmt(b.dedupWindow.tasks, 0)} markers alone, calibration` +
    `${b.dedupWindow.inRun ? `; in-run ${fmt(b.dedupWindow.inRun.bytesPerTask, 0)} B over ${fmt(b.dedupWindow.inRun.tasks, 0)}, in an oversized key table` : ''})`);
  console.log(`${verdictOf(s)}; wrote ${config.out} and ${svgPath}`);
}

/**
 * The soak's SVG: worker RSS, Redis used_memory, Redis bytes per key, throughput.
 *
 * @example
 * writeFileSync('bench/soak.svg', plotSoak(result, fullAtS, stopAtS));
 */
export function plotSoak(result, fullAtS, stopAtS) {
  const { summary: s, config: c, machine: m } = result;
  return soakSvg({
    title: `tasklane soak: ${fmt(c.tasks, 0)} no-op tasks, ${fmt(s.throughputPerSec, 0)} tasks/s, ${verdictOf(s).toLowerCase()}`,
    subtitle: `${c.workers} worker × concurrency ${c.concurrency}; completed retention ${c.completedRetentionMs / 1000} s, dedup window ${c.dedupWindowMs / 1000} s; ` +
      `${m.cpus} CPUs, node ${m.node}, redis ${m.redis}, ${m.date.slice(0, 10)}`,
    series: result.series,
    fullAtS,
    stopAtS,
    steady: { fromS: s.steady.fromS ?? stopAtS, toS: s.steady.toS ?? stopAtS },
    // Censuses after the stop pause Redis's active expiry (see keyCensus): used_memory holds still meanwhile.
    bands: ['stop', 'recordsExpired', 'allExpired'].filter((k) => result.snapshots[k])
      .map((k) => ({ fromS: result.snapshots[k].t, toS: result.snapshots[k].t + result.snapshots[k].seconds, label: 'census' })),
    panels: [
      { key: 'rssBytes', label: `worker RSS: ${s.workerRss.verdict}`, color: '#1f77b4', unit: 'MiB', level: s.workerRss.level },
      { key: 'usedMemoryBytes', label: 'Redis used_memory', color: '#d62728', unit: 'MiB',
        level: s.redisUsedMemory.level, dashed: { key: 'usedMemoryLiveBytes', label: 'without expired keys' } },
      { key: 'bytesPerKey', label: `Redis used_memory per key, expired ones not freed yet included: ${s.redisBytesPerKey.verdict}`, color: '#9467bd', unit: 'B', scale: 1, level: s.redisBytesPerKey.level },
      { key: 'tasksPerSec', label: 'throughput', color: '#2ca02c', unit: 'k/s', scale: 1000 },
    ],
  });
}

function verdictOf(s) {
  if (s.flat) return 'FLAT';
  return s.steady.samples < s.minSteadySamples ? 'NO VERDICT' : 'NOT FLAT';
}

function series(name, j, unit, horizonMin) {
  const verdict = j.judged === false ? 'not judged' : j.verdict.toUpperCase();
  return `${name.padEnd(18)} level ${unit(j.level)}; halves ${unit(j.firstHalfMedian)} → ${unit(j.secondHalfMedian)} ` +
    `(${signed(j.changePct, (v) => `${v}%`)}${j.judged === false ? '' : `, allowed +${unit(j.allowed)}`}); ` +
    `slope ${signed(j.slopePerMin, unit)}/min (${signed(j.slopeOverHorizonPct, (v) => `${v}%`)} over ${horizonMin} min); ` +
    `range ${unit(j.min)}–${unit(j.max)}: ${verdict}`;
}

function signed(v, unit) {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  return `${v < 0 ? '−' : '+'}${unit(Math.abs(v))}`;
}

function mib(v) {
  return v === null ? 'n/a' : `${(v / MIB).toFixed(1)} MiB`;
}

function bytes(v) {
  return v === null ? 'n/a' : `${fmt(v, 0)} B`;
}

function pct(share) {
  return Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : 'n/a';
}
