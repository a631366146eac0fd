// `npm run soak -- --tasks 1000000`: pushes many no-op tasks through tasklane and checks
// that memory stays flat once the retention windows are full.
//
// A producer (this process) enqueues with enqueueMany, paced so that at most
// --max-waiting tasks wait; forked worker processes run a short-lane actor each. Every
// --sample-ms the soak records worker RSS (each worker's own process.memoryUsage().rss,
// over IPC) and Redis used_memory. Completed records live --completed-retention-ms and
// dedup markers --dedup-window-ms, both short by default so they fill within the run.
// After processing stops the soak keeps sampling until both windows have emptied, then
// completes a batch of calibration tasks with a 1 s retention and a 1 h dedup window;
// key censuses of the two give Redis bytes per task in each window (see windowCosts in
// bench/lib/soak-analysis.mjs).
//
// Writes --out (default bench/soak.json) and the same path with .svg, and prints a
// report. Exit status: 0 flat once the windows are full (CRITERION below); 1 not flat;
// 2 the soak failed; 3 no verdict, because the producer stopped too soon after the
// windows filled (a fast machine with a short run: raise --tasks or set --rate).
//
// Usage: npm run soak -- [--tasks 1000000] [--workers 1] [--concurrency 100] [--rate 0]
//   [--completed-retention-ms 60000] [--dedup-window-ms 60000] [--sample-ms 2000] [--out bench/soak.json]
//   (npm run soak -- --help lists every flag)
// Quick check: npm run soak -- --tasks 50000 --completed-retention-ms 5000 --dedup-window-ms 5000
//   (add --rate 5000 on a machine fast enough to finish 50,000 tasks before 5 s windows fill)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TaskQueue } from '../dist/index.js';
import { round1, sum } from '../scripts/lib/stats.mjs';
import { fmt } from './lib/report.mjs';
import { addLiveKeys, judge, median, steadySamples, windowCosts } from './lib/soak-analysis.mjs';
import { parseSoakFlags } from './lib/soak-flags.mjs';
import { infoField, keyCensus, redisSample, startSoakRedis } from './lib/soak-redis.mjs';
import { plotSoak, printReport } from './lib/soak-report.mjs';
import { startSoakWorkers } from './lib/soak-workers.mjs';

const QUEUE = 'soak';
const MIB = 1024 * 1024;
/** Expired keys are reclaimed by a census; this much past a window's end, all of them are logically gone. */
const EXPIRY_MARGIN_MS = 1500;
/** Samples holding fewer keys than this share of the peak get no bytes per key. */
const PER_KEY_MIN_SHARE = 0.05;
/** Processing that makes no progress this long is a failure, not a slow run. */
const STALL_MS = 60_000;

/**
 * When the soak passes. Steady samples: taken while the producer was still enqueueing,
 * once both windows were full, in the second half of that time. Over them:
 * - worker RSS (summed over the workers): the second-half median exceeds the first-half
 *   median by at most maxGrowth × level + rssSlack per worker (a fall is memory given
 *   back, and passes);
 * - Redis: the same test on used_memory per key (bytesPerKey in startSampler). Raw
 *   used_memory is proportional to the keys the windows hold, that is to throughput,
 *   which on a shared machine swings for reasons that have nothing to do with leaks, and
 *   to the keys that have expired but that Redis's sampling expiry has not freed yet,
 *   which pile up when Redis is short of CPU. Bytes per key stays put under both, and
 *   rises when memory grows without keys (an index or a buffer that is never trimmed);
 * - Redis: once both windows have expired, used_memory is back within residualSlack of
 *   the empty baseline. Every key the soak writes has a TTL, so a key without one, or
 *   with too long a one, stays here.
 */
const CRITERION = { minSamples: 6, rssSlackBytes: 8 * MIB, perKeySlackBytes: 16, residualSlackBytes: 4 * MIB };

const config = parseSoakFlags(process.argv.slice(2));
const svgPath = config.out.replace(/\.json$/, '') + '.svg';
const wallStart = performance.now();
const redis = await startSoakRedis();
const admin = new Redis(redis.url);
const queue = new TaskQueue({ redis: redis.url, name: QUEUE, completedRetentionMs: config.completedRetentionMs, dedupWindowMs: config.dedupWindowMs });
queue.on('queue:warning', () => {}); // our own redis-server; its eviction policy is not under test
let pool;
let exitCode = 1;
process.once('SIGINT', () => {
  pool?.kill();
  void redis.stop().finally(() => process.exit(130));
});

try {
  exitCode = await soak();
} catch (error) {
  console.error(`soak failed: ${error.stack ?? error}`);
  exitCode = 2;
} finally {
  pool?.kill();
  await queue.close();
  admin.disconnect();
  await redis.stop();
}
process.exit(exitCode);

async function soak() {
  const R = config.completedRetentionMs;
  const D = config.dedupWindowMs;
  const payload = { data: 'x'.repeat(config.payloadBytes - 11) }; // '{"data":""}' is 11 bytes
  await queue.stats(); // loads the scripts the producer uses
  pool = await startSoakWorkers(config.workers, { url: redis.url, queue: QUEUE, concurrency: config.concurrency, completedRetentionMs: R, dedupWindowMs: D });
  await sleep(300);
  const zero = performance.now();
  const clock = () => (performance.now() - zero) / 1000;
  const census = async () => {
    const t = clock();
    const counts = await keyCensus(admin, queue.keys.prefix, { pauseExpiry: redis.canPauseExpiry });
    return { t: round1(t), seconds: round1(clock() - t), ...counts };
  };
  const snapshots = { baseline: await census() };
  const baselineBytes = snapshots.baseline.usedMemoryBytes;
  const machine = await machineInfo();
  console.log(`tasklane soak: ${fmt(config.tasks, 0)} no-op tasks, ${config.workers} worker process(es) × concurrency ${config.concurrency}, ` +
    `completed retention ${R / 1000} s, dedup window ${D / 1000} s, sampling every ${config.sampleMs} ms, redis ${machine.redis} on ${redis.url}`);

  const series = [];
  const sampler = startSampler(series, clock, baselineBytes);
  const produced = await produce(payload, sampler);
  const producedAtS = clock();
  await waitForDone(sampler);
  const stopAtS = clock();
  await sampler.takeNow();
  sampler.phase = 'tail';
  console.log(`processed ${fmt(config.tasks, 0)} tasks in ${stopAtS.toFixed(1)} s; sampling on until both windows are empty...`);

  snapshots.stop = await census();
  if (D > R + EXPIRY_MARGIN_MS) {
    await sleepUntil(clock, stopAtS + (R + EXPIRY_MARGIN_MS) / 1000);
    snapshots.recordsExpired = await census();
  }
  await sleepUntil(clock, stopAtS + (Math.max(R, D) + EXPIRY_MARGIN_MS) / 1000);
  snapshots.allExpired = await census();
  await sampler.stop();
  if (sampler.error) throw sampler.error;
  const counts = await pool.stop();
  pool = undefined;
  const tailEndS = clock();

  const calibrationStart = performance.now();
  const calibration = await calibrateMarkers(payload, census);
  snapshots.calibration = calibration;
  const calibrationSeconds = (performance.now() - calibrationStart) / 1000;

  addLiveKeys(series, D, baselineBytes);
  // With few keys left, key tables still sized for the peak dominate the ratio: leave it out.
  const peakKeys = Math.max(...series.map((s) => s.keys));
  for (const s of series) if (s.keys < PER_KEY_MIN_SHARE * peakKeys) s.bytesPerKey = null;
  const fullAtS = (series.find((s) => s.done > 0)?.t ?? 0) + Math.max(R, D) / 1000;
  const steady = steadySamples(series, fullAtS, producedAtS);
  const common = { maxGrowth: config.maxGrowthPct / 100, minSamples: CRITERION.minSamples, horizonMin: config.horizonMin };
  const rss = judge(steady, 'rssBytes', { ...common, slack: CRITERION.rssSlackBytes * config.workers });
  const used = judge(steady, 'usedMemoryBytes', { ...common, slack: 0 });
  const perKey = judge(steady, 'bytesPerKey', { ...common, slack: CRITERION.perKeySlackBytes });
  const residualBytes = snapshots.allExpired.usedMemoryBytes - baselineBytes;
  const residualOk = residualBytes <= CRITERION.residualSlackBytes;
  const costs = windowCosts({ baselineBytes, stop: snapshots.stop, markersOnly: calibration, markersLeft: snapshots.recordsExpired });
  const summary = {
    tasks: config.tasks,
    completed: sum(counts.map((c) => c.done)),
    failedAttempts: sum(counts.map((c) => c.failed)),
    storeErrors: sum(counts.map((c) => c.storeErrors)),
    duplicates: produced.duplicates,
    wallSeconds: round1((performance.now() - wallStart) / 1000),
    processingSeconds: round1(stopAtS),
    tailSeconds: round1(tailEndS - stopAtS),
    calibrationSeconds: round1(calibrationSeconds),
    throughputPerSec: Math.round(config.tasks / stopAtS),
    steadyThroughputPerSec: { median: median(steady.map((s) => s.tasksPerSec)), min: minOf(steady, 'tasksPerSec'), max: maxOf(steady, 'tasksPerSec') },
    windowsFullAtS: round1(fullAtS),
    producedAtS: round1(producedAtS),
    steady: { fromS: steady[0]?.t ?? null, toS: steady.at(-1)?.t ?? null, samples: steady.length },
    minSteadySamples: CRITERION.minSamples,
    criterion: `Steady samples: taken while the producer was enqueueing, once both windows were full, in the second half of that time (at least ${CRITERION.minSamples}). ` +
      `Flat: the median of their second half exceeds the median of their first half by at most ${config.maxGrowthPct}% of the level (the median of all) + a slack (a fall passes). ` +
      `Judged: worker RSS, summed over the workers (slack ${CRITERION.rssSlackBytes / MIB} MiB per worker); Redis used_memory (no slack); Redis used_memory per key, (used_memory - empty baseline) / keys in the db including expired ones not freed yet ` +
      `(slack ${CRITERION.perKeySlackBytes} B); ` +
      `and used_memory back within ${CRITERION.residualSlackBytes / MIB} MiB of the empty baseline once both windows have expired.`,
    workerRss: rss,
    redisUsedMemory: { ...used, note: 'follows the number of tasks the windows hold, so it is flat only at a steady rate (--rate)' },
    redisBytesPerKey: perKey,
    redisExpiredNotReclaimed: expiredNotReclaimed(steady),
    residualAfterWindows: { bytes: residualBytes, allowed: CRITERION.residualSlackBytes, ok: residualOk },
    bytesPerTask: {
      completedWindow: { ...costs.completedWindow, holds: 'task record (payload, result, fields) + completed-index entry + dedup marker' },
      dedupWindow: { ...costs.dedupWindow, holds: 'dedup marker alone (its record has expired)' },
      emptyBaselineBytes: baselineBytes,
      expiryPausedDuringCensus: redis.canPauseExpiry,
    },
    flat: rss.flat && used.flat && perKey.flat && residualOk,
  };

  const result = { config, criterion: CRITERION, machine, summary, snapshots, series };
  mkdirSync(dirname(config.out), { recursive: true });
  writeFileSync(config.out, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(svgPath, plotSoak(result, fullAtS, stopAtS));
  printReport(summary, config, svgPath);
  if (summary.flat) return 0;
  return steady.length < CRITERION.minSamples ? 3 : 1;
}

/** Steady-state share of keys Redis still held although they had expired (see addLiveKeys). */
function expiredNotReclaimed(steady) {
  const share = steady.map((s) => s.expiredKeys / s.keys);
  const usedLive = judge(steady, 'usedMemoryLiveBytes', { maxGrowth: 0, slack: 0, minSamples: 1, horizonMin: config.horizonMin });
  return {
    medianShareOfKeys: Math.round(1000 * median(share)) / 1000,
    maxShareOfKeys: Math.round(1000 * Math.max(0, ...share)) / 1000,
    usedMemoryIfFreed: { level: usedLive.level, min: usedLive.min, max: usedLive.max, slopePerMin: usedLive.slopePerMin },
  };
}

/** Samples every --sample-ms on a fixed cadence; a failed sample fails the soak. */
function startSampler(series, clock, baselineBytes) {
  const sampler = { phase: 'soak', error: null, takeNow: () => serial(take), stop: undefined };
  let previous = null;
  let stopped = false;
  // One sample at a time: a takeNow() overlapping the cadence's sample would push the two
  // out of order, and rates between them would be computed over a negative interval.
  let last = Promise.resolve();
  const serial = (fn) => {
    const run = last.then(fn);
    last = run.catch(() => {});
    return run;
  };
  async function take() {
    const [replies, r, stats] = await Promise.all([pool.sample(), redisSample(admin), queue.stats()]);
    const t = clock();
    const done = sum(replies.map((r) => r.done));
    // Rates per worker over its own clock, then summed: IPC and INFO delays do not skew them.
    const rate = (key, i) => (replies[i][key] - previous.replies[i][key]) / ((replies[i].atMs - previous.replies[i].atMs) / 1000);
    const sumRates = (key) => (previous ? replies.reduce((total, _, i) => total + rate(key, i), 0) : 0);
    const dt = previous ? t - previous.t : NaN;
    series.push({
      t: Math.round(t * 1000) / 1000,
      phase: sampler.phase,
      done,
      waiting: stats.waiting.short + stats.waiting.long,
      active: stats.active,
      completedInWindow: stats.completed,
      keys: r.keys,
      rssBytes: sum(replies.map((r) => r.rssBytes)),
      heapUsedBytes: sum(replies.map((r) => r.heapUsedBytes)),
      usedMemoryBytes: r.usedMemoryBytes,
      // Keys include expired ones Redis has not freed yet: they still hold memory.
      bytesPerKey: r.keys > 0 ? Math.round((r.usedMemoryBytes - baselineBytes) / r.keys) : null,
      tasksPerSec: Math.round(sumRates('done')),
      workerCpuPct: Math.round(sumRates('cpuMicros') / 1e4),
      redisCpuPct: previous ? Math.round((100 * (r.cpuSeconds - previous.redisCpu)) / dt) : 0,
    });
    previous = { t, replies, redisCpu: r.cpuSeconds };
  }
  const loop = (async () => {
    for (let tick = 0; !stopped; tick++) {
      try {
        await serial(take);
      } catch (error) {
        sampler.error = error;
        return;
      }
      await sleep(Math.max(0, (tick + 1) * config.sampleMs - clock() * 1000));
    }
  })();
  sampler.stop = async () => {
    stopped = true;
    await loop;
  };
  return sampler;
}

/**
 * Enqueues --tasks in --batch calls, pausing while more than --max-waiting wait (default:
 * a twentieth of the tasks, at most 20,000), and, with --rate, until the batch is due.
 */
async function produce(payload, sampler) {
  const start = performance.now();
  let enqueued = 0;
  let duplicates = 0;
  while (enqueued < config.tasks) {
    if (sampler.error) throw sampler.error;
    if (config.rate > 0) await sleep(Math.max(0, start + (1000 * enqueued) / config.rate - performance.now()));
    const { waiting } = await queue.stats();
    const n = Math.min(config.batch, config.tasks - enqueued);
    if (waiting.short + n > config.maxWaiting) {
      await sleep(5);
      continue;
    }
    const inputs = Array.from({ length: n }, (_, j) => ({ id: taskId('task', enqueued + j), type: 'noop', payload }));
    duplicates += (await queue.enqueueMany(inputs)).filter((r) => r.duplicate).length;
    enqueued += n;
  }
  return { duplicates };
}

async function waitForDone(sampler) {
  let last = -1;
  let progressAt = performance.now();
  for (;;) {
    if (sampler.error) throw sampler.error;
    const done = sum((await pool.sample()).map((r) => r.done));
    if (done >= config.tasks) return;
    if (done !== last) {
      last = done;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > STALL_MS) {
      throw new Error(`no task completed for ${STALL_MS / 1000} s (${done} of ${config.tasks} done)`);
    }
    await sleep(50);
  }
}

/**
 * Measures dedup markers alone. With equal windows a record and its marker expire
 * together, so the soak never holds markers alone; with a longer dedup window it does,
 * but in a key table still sized for the records that just left (Redis shrinks it only
 * below 10% fill), which inflates the per-marker figure. So: the same queue and id
 * length, on the emptied server, tasks completed with a 1 s retention and a 1 h dedup
 * window, counted once their records have expired.
 */
async function calibrateMarkers(payload, census) {
  const count = Math.min(config.calibrationTasks, config.tasks);
  const cal = new TaskQueue({ redis: redis.url, name: QUEUE, completedRetentionMs: 1000, dedupWindowMs: 3_600_000 });
  cal.on('queue:warning', () => {});
  try {
    const before = await census();
    for (let i = 0; i < count; i += config.batch) {
      await cal.enqueueMany(Array.from({ length: Math.min(config.batch, count - i) }, (_, j) => ({ id: taskId('mark', i + j), type: 'noop', payload })));
    }
    for (;;) {
      const leases = await cal.claim('short', { max: 1000, leaseMs: 60_000, owner: 'soak-calibration' });
      if (leases.length === 0) break;
      await cal.completeMany(leases.map((lease) => ({ lease, result: null })));
    }
    await sleep(1000 + EXPIRY_MARGIN_MS);
    await cal.stats(); // trims the completed index
    return { tasks: count, baselineBytes: before.usedMemoryBytes, ...(await census()) };
  } finally {
    await cal.close();
  }
}

async function machineInfo() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    redis: await infoField(admin, 'server', 'redis_version'),
    date: new Date().toISOString(),
  };
}

/** Fixed-width ids, so soak and calibration keys have the same length. */
function taskId(prefix, i) {
  return `${prefix}-${String(i).padStart(7, '0')}`;
}

async function sleepUntil(clock, atS) {
  await sleep(Math.max(0, (atS - clock()) * 1000));
}

function minOf(items, key) {
  return Math.min(...items.map((item) => item[key]));
}

function maxOf(items, key) {
  return Math.max(...items.map((item) => item[key]));
}
