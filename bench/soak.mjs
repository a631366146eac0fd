// `npm run soak -- --tasks 1000000`: pushes many no-op tasks through tasklane and checks
// that memory stays flat once the retention windows are full.
//
// A producer (this process) enqueues with enqueueMany, paced so that at most
// --max-waiting tasks wait; forked worker processes run a short-lane actor each. Every
// --sample-ms the soak records worker RSS (each worker's own process.memoryUsage().rss,
// over IPC) and Redis used_memory. Completed records live --completed-retention-ms and
// dedup markers --dedup-window-ms, both short by default so they fill within the run.
// After processing stops the soak keeps sampling until both windows have emptied, and
// takes key censuses to split Redis memory into bytes per task in each window (see
// windowCosts in bench/lib/soak-analysis.mjs).
//
// Writes --out (default bench/soak.json) and the same path with .svg, prints a report,
// and exits 1 when either series is not flat (criterion: trend() in soak-analysis.mjs).
//
// Usage: npm run soak -- [--tasks 1000000] [--workers 1] [--concurrency 100]
//   [--completed-retention-ms 60000] [--dedup-window-ms 60000] [--sample-ms 2000] [--out bench/soak.json]
// Quick check: npm run soak -- --tasks 50000 --completed-retention-ms 5000 --dedup-window-ms 5000
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TaskQueue } from '../dist/index.js';
import { startRedisServer } from '../scripts/lib/redis-server.mjs';
import { steadySamples, trend, windowCosts } from './lib/soak-analysis.mjs';
import { infoField, memorySnapshot, usedMemory } from './lib/soak-redis.mjs';
import { soakSvg } from './lib/soak-svg.mjs';
import { startSoakWorkers } from './lib/soak-workers.mjs';

const QUEUE = 'soak';
const MIB = 1024 * 1024;
/** Expired keys are reclaimed by a census; this much past a window's end, all of them are logically gone. */
const EXPIRY_MARGIN_MS = 1500;
/** Fewer marker-only keys than this after the records expired: measure the marker cost in a calibration instead. */
const MIN_MARKERS = 1000;
/** Processing that makes no progress this long is a failure, not a slow run. */
const STALL_MS = 60_000;

const FLAGS = {
  tasks: [1_000_000, 1, 'tasks to process'],
  workers: [1, 1, 'worker processes'],
  concurrency: [100, 1, 'tasks each worker runs at once'],
  batch: [1000, 1, 'tasks per enqueueMany call'],
  'max-waiting': [20_000, 1, 'most tasks waiting before the producer pauses'],
  'sample-ms': [2000, 100, 'sampling interval'],
  'completed-retention-ms': [60_000, 1, 'how long completed records are kept'],
  'dedup-window-ms': [60_000, 1, 'how long dedup markers are kept'],
  'payload-bytes': [100, 11, 'payload size as JSON'],
  'calibration-tasks': [100_000, 1, 'tasks in the marker calibration (capped at --tasks)'],
  'horizon-min': [10, 1, 'flatness: minutes over which the steady slope is extrapolated'],
  'max-growth-pct': [10, 0, 'flatness: most growth over the horizon, in % of the level'],
  'rss-slack-mib': [16, 0, 'flatness: absolute slack for worker RSS'],
  'redis-slack-mib': [4, 0, 'flatness: absolute slack for used_memory'],
};

const config = parseFlags();
const svgPath = config.out.replace(/\.json$/, '') + '.svg';
const wallStart = performance.now();
const redis = await startRedisServer();
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
  const baseline = await memorySnapshot(admin, queue.keys.prefix, clock);
  const machine = await machineInfo();
  console.log(`tasklane soak: ${fmtInt(config.tasks)} no-op tasks, ${config.workers} worker process(es) × concurrency ${config.concurrency}, ` +
    `completed retention ${R / 1000} s, dedup window ${D / 1000} s, redis ${machine.redis} on ${redis.url}`);

  const series = [];
  const sampler = startSampler(series, clock);
  const produced = await produce(payload, sampler);
  await waitForDone(sampler);
  const stopAtS = clock();
  await sampler.takeNow();
  sampler.phase = 'tail';
  console.log(`processed ${fmtInt(config.tasks)} tasks in ${stopAtS.toFixed(1)} s; waiting for both windows to empty...`);

  const snapshots = { baseline, stop: await memorySnapshot(admin, queue.keys.prefix, clock) };
  if (D > R + EXPIRY_MARGIN_MS) {
    await sleepUntil(clock, stopAtS + (R + EXPIRY_MARGIN_MS) / 1000);
    snapshots.recordsExpired = await memorySnapshot(admin, queue.keys.prefix, clock);
  }
  await sleepUntil(clock, stopAtS + (Math.max(R, D) + EXPIRY_MARGIN_MS) / 1000);
  snapshots.allExpired = await memorySnapshot(admin, queue.keys.prefix, clock);
  await sampler.stop();
  if (sampler.error) throw sampler.error;
  const counts = await pool.stop();
  pool = undefined;
  const tailEndS = clock();

  let markersOnly;
  if ((snapshots.recordsExpired?.markers ?? 0) >= MIN_MARKERS) {
    markersOnly = { method: 'in-run: markers left after the completed records expired', baselineBytes: baseline.usedMemoryBytes, ...snapshots.recordsExpired };
  } else {
    markersOnly = { method: 'calibration: same queue and id length, completed retention 1 s, dedup window 1 h', ...(await calibrateMarkers(payload, clock)) };
    snapshots.calibration = markersOnly;
  }

  const wallSeconds = (performance.now() - wallStart) / 1000;
  const fullAtS = (series.find((s) => s.done > 0)?.t ?? 0) + Math.max(R, D) / 1000;
  const steady = steadySamples(series, fullAtS, stopAtS);
  const criterion = { horizonMin: config.horizonMin, maxGrowth: config.maxGrowthPct / 100, minSamples: 5 };
  const rss = trend(steady, 'rssBytes', { ...criterion, slackBytes: config.rssSlackMib * MIB });
  const used = trend(steady, 'usedMemoryBytes', { ...criterion, slackBytes: config.redisSlackMib * MIB });
  const summary = {
    tasks: config.tasks,
    completed: sum(counts, 'done'),
    failedAttempts: sum(counts, 'failed'),
    storeErrors: sum(counts, 'storeErrors'),
    duplicates: produced.duplicates,
    wallSeconds: round1(wallSeconds),
    processingSeconds: round1(stopAtS),
    tailSeconds: round1(tailEndS - stopAtS),
    throughputPerSec: Math.round(config.tasks / stopAtS),
    windowsFullAtS: round1(fullAtS),
    steady: { fromS: steady[0]?.t ?? null, toS: steady.at(-1)?.t ?? null, samples: steady.length },
    flatness: `flat: over the steady samples (both windows full, second half of the processing), the Theil–Sen slope extrapolated over ${config.horizonMin} min ` +
      `changes the series by at most ${config.maxGrowthPct}% of its median level + a slack (RSS ${config.rssSlackMib} MiB, used_memory ${config.redisSlackMib} MiB); at least ${criterion.minSamples} steady samples`,
    workerRss: rss,
    redisUsedMemory: used,
    bytesPerTask: {
      ...windowCosts({ baselineBytes: baseline.usedMemoryBytes, stop: snapshots.stop, markersOnly }),
      markerMethod: markersOnly.method,
      emptyBaselineBytes: baseline.usedMemoryBytes,
    },
    residualBytesAfterWindows: snapshots.allExpired.usedMemoryBytes - baseline.usedMemoryBytes,
    flat: rss.flat && used.flat,
  };
  summary.bytesPerTask.completedWindow.holds = 'task record (payload, result, fields) + completed-index entry + dedup marker';
  summary.bytesPerTask.dedupWindow.holds = 'dedup marker only (record expired)';

  const result = { config, machine, summary, snapshots, series };
  mkdirSync(dirname(config.out), { recursive: true });
  writeFileSync(config.out, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(svgPath, plot(result, fullAtS, stopAtS));
  report(summary);
  return summary.flat ? 0 : 1;
}

/** Samples every --sample-ms on a fixed cadence; a failed sample fails the soak. */
function startSampler(series, clock) {
  const sampler = { phase: 'soak', error: null, takeNow: take, stop: undefined };
  let previous = null;
  let stopped = false;
  async function take() {
    const [replies, usedMemoryBytes, stats] = await Promise.all([pool.sample(), usedMemory(admin), queue.stats()]);
    const t = clock();
    const done = sum(replies, 'done');
    series.push({
      t: Math.round(t * 1000) / 1000,
      phase: sampler.phase,
      done,
      waiting: stats.waiting.short + stats.waiting.long,
      active: stats.active,
      rssBytes: sum(replies, 'rssBytes'),
      heapUsedBytes: sum(replies, 'heapUsedBytes'),
      usedMemoryBytes,
      tasksPerSec: previous ? Math.round((done - previous.done) / (t - previous.t)) : 0,
    });
    previous = { t, done };
    return done;
  }
  const loop = (async () => {
    for (let tick = 0; !stopped; tick++) {
      try {
        await take();
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

/** Enqueues --tasks in --batch calls, pausing while more than --max-waiting wait. */
async function produce(payload, sampler) {
  let enqueued = 0;
  let duplicates = 0;
  while (enqueued < config.tasks) {
    if (sampler.error) throw sampler.error;
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
    const done = sum(await pool.sample(), 'done');
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
 * With equal windows a record and its marker expire together, so the soak never holds
 * markers alone. This measures them on the same queue, with ids of the same length:
 * tasks completed with a 1 s retention and a 1 h dedup window, counted once their
 * records have expired.
 */
async function calibrateMarkers(payload, clock) {
  const count = Math.min(config.calibrationTasks, config.tasks);
  const cal = new TaskQueue({ redis: redis.url, name: QUEUE, completedRetentionMs: 1000, dedupWindowMs: 3_600_000 });
  cal.on('queue:warning', () => {});
  try {
    const before = await memorySnapshot(admin, cal.keys.prefix, clock);
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
    const after = await memorySnapshot(admin, cal.keys.prefix, clock);
    return { tasks: count, baselineBytes: before.usedMemoryBytes, ...after };
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

function plot(result, fullAtS, stopAtS) {
  const { summary, config: c, machine } = result;
  return soakSvg({
    title: `tasklane soak: ${fmtInt(c.tasks)} no-op tasks at ${fmtInt(summary.throughputPerSec)} tasks/s`,
    subtitle: `${c.workers} worker × concurrency ${c.concurrency}; completed retention ${c.completedRetentionMs / 1000} s, dedup window ${c.dedupWindowMs / 1000} s; ` +
      `${machine.cpus} CPUs, node ${machine.node}, redis ${machine.redis}, ${machine.date.slice(0, 10)}`,
    series: result.series,
    fullAtS,
    stopAtS,
    steady: { fromS: summary.steady.fromS ?? stopAtS, toS: summary.steady.toS ?? stopAtS },
    panels: [
      { key: 'rssBytes', label: `worker RSS (${summary.workerRss.verdict})`, color: '#1f77b4', unit: 'MiB', level: summary.workerRss.levelBytes },
      { key: 'usedMemoryBytes', label: `Redis used_memory (${summary.redisUsedMemory.verdict})`, color: '#d62728', unit: 'MiB', level: summary.redisUsedMemory.levelBytes },
      { key: 'tasksPerSec', label: 'throughput', color: '#2ca02c', unit: 'k/s', scale: 1000 },
    ],
  });
}

function report(s) {
  const line = (name, t) => console.log(`${name.padEnd(17)} level ${mib(t.levelBytes)}, slope ${signedMib(t.slopeBytesPerMin)}/min ` +
    `(${t.growthOverHorizonPct >= 0 ? '+' : ''}${t.growthOverHorizonPct}% over ${config.horizonMin} min, allowed ±${mib(t.allowedBytes)}), ` +
    `range ${mib(t.minBytes)}–${mib(t.maxBytes)} over ${t.samples} steady samples: ${t.verdict.toUpperCase()}`);
  const b = s.bytesPerTask;
  console.log(`wall ${s.wallSeconds} s (processing ${s.processingSeconds} s, draining the windows ${s.tailSeconds} s); throughput ${fmtInt(s.throughputPerSec)} tasks/s; ` +
    `${s.duplicates} duplicates, ${s.failedAttempts} failed attempts, ${s.storeErrors} store errors`);
  console.log(`steady samples from ${s.steady.fromS} s to ${s.steady.toS} s (windows full at ${s.windowsFullAtS} s)`);
  line('worker RSS', s.workerRss);
  line('redis used_memory', s.redisUsedMemory);
  console.log(`redis bytes/task  completed window ${b.completedWindow.bytesPerTask} B (${fmtInt(b.completedWindow.tasks)} tasks: record + result + index + marker); ` +
    `dedup window ${b.dedupWindow.bytesPerTask} B (${fmtInt(b.dedupWindow.tasks)} markers alone, ${b.markerMethod.split(':')[0]})`);
  console.log(`after both windows expired used_memory is ${signedMib(s.residualBytesAfterWindows)} from the empty baseline`);
  console.log(`wrote ${config.out} and ${svgPath}: ${s.flat ? 'FLAT' : 'NOT FLAT'}`);
}

function parseFlags() {
  const options = { out: { type: 'string', default: 'bench/soak.json' }, help: { type: 'boolean', default: false } };
  for (const name of Object.keys(FLAGS)) options[name] = { type: 'string' };
  const { values } = parseArgs({ options });
  if (values.help) {
    console.log('Usage: npm run soak -- [flags]\n' + Object.entries(FLAGS).map(([n, [d, , help]]) => `  --${n.padEnd(24)} ${help} (default ${d})`).join('\n') +
      '\n  --out                      results JSON; the plot goes next to it as .svg (default bench/soak.json)');
    process.exit(0);
  }
  const parsed = { out: values.out };
  for (const [name, [fallback, min]] of Object.entries(FLAGS)) {
    const raw = values[name];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min) {
      console.error(`Expected \`--${name}\` to be an integer from ${min} and up, got \`${raw}\``);
      process.exit(2);
    }
    parsed[name.replace(/-(\w)/g, (_, ch) => ch.toUpperCase())] = value;
  }
  return parsed;
}

/** Fixed-width ids, so soak and calibration keys have the same length. */
function taskId(prefix, i) {
  return `${prefix}-${String(i).padStart(7, '0')}`;
}

async function sleepUntil(clock, atS) {
  await sleep(Math.max(0, (atS - clock()) * 1000));
}

function sum(items, key) {
  return items.reduce((total, item) => total + item[key], 0);
}

function round1(n) {
  return Math.round(n * 10) / 10;
}

function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function mib(bytes) {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

function signedMib(bytes) {
  return `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;
}
