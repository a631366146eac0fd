import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { envWithoutTestRedis, runScript } from '../helpers/run-script.mjs';

const TASKS = 25_000;
const SERIES_FIELDS = ['t', 'done', 'waiting', 'rssBytes', 'usedMemoryBytes', 'tasksPerSec'];

function runSoak(args, timeoutMs) {
  return runScript('bench/soak.mjs', args, { watchdogMs: timeoutMs, env: envWithoutTestRedis() });
}

const test = suite('bench/soak.mjs, small');

test('25k tasks at 2500/s with 3 s windows: exits 0, writes a valid series and summary to --out, and an SVG beside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-soak-smoke-'));
  try {
    const out = join(dir, 'soak.json');
    // Paced, so that the run lasts about 10 s on a fast machine too: the windows fill by 3 s.
    // The rate is one a loaded 2-core machine sustains: the verdict judges raw used_memory,
    // which is flat only at a steady rate.
    const { code, output } = await runSoak(['--tasks', String(TASKS), '--rate', '2500', '--completed-retention-ms', '3000', '--dedup-window-ms', '3000',
      '--calibration-tasks', '10000', '--out', out], 60_000);
    assert.is(code, 0, `soak exited ${code}:\n${output.slice(-3000)}`);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.ok(json.machine.cpus >= 1);
    assert.match(json.machine.redis, /^\d+\.\d+/);
    assert.is(json.config.tasks, TASKS);

    const { series, summary } = json;
    assert.ok(series.length >= 10, `expected at least 10 samples, got ${series.length}`);
    for (const sample of series) {
      for (const field of SERIES_FIELDS) assert.ok(Number.isFinite(sample[field]), `sample field ${field} is a number: ${JSON.stringify(sample)}`);
    }
    for (let i = 1; i < series.length; i++) {
      assert.ok(series[i].t > series[i - 1].t, 'time increases');
      assert.ok(series[i].done >= series[i - 1].done, 'done never decreases');
    }
    assert.is(series.at(-1).done, TASKS);
    assert.ok(series.some((s) => s.phase === 'soak') && series.some((s) => s.phase === 'tail'));

    assert.is(summary.completed, TASKS);
    assert.is(summary.duplicates, 0);
    assert.ok(summary.throughputPerSec > 0);
    assert.ok(summary.steady.samples >= 6, `steady samples: ${summary.steady.samples}`);
    assert.ok(summary.workerRss.level > 0 && summary.redisUsedMemory.level > 0);
    assert.ok(summary.residualAfterWindows.ok);
    // A completed task holds its record (payload of 100 bytes, result) and marker; a marker alone is much smaller.
    const { completedWindow, dedupWindow } = summary.bytesPerTask;
    assert.ok(completedWindow.tasks > 0 && dedupWindow.tasks === 10_000);
    assert.ok(completedWindow.bytesPerTask > dedupWindow.bytesPerTask && dedupWindow.bytesPerTask > 0,
      `completed ${completedWindow.bytesPerTask} B, marker ${dedupWindow.bytesPerTask} B`);
    assert.is(summary.flat, true);

    assert.match(readFileSync(join(dir, 'soak.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(output, /^FLAT; wrote /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
