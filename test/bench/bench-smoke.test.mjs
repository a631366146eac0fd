import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { envWithoutTestRedis, runScript } from '../helpers/run-script.mjs';
import { TARGETS } from '../../bench/lib/metrics.mjs';

const SYSTEMS = ['tasklane', 'bullmq', 'bee-queue'];
const HEADLINE = ['bulk_enqueue', 'process_1x100', 'process_2x50', 'latency_p50', 'latency_p99', 'latency_max', 'http_1x100', 'cmds_sent', 'cmds_executed'];
// Cases only tasklane runs: the supervisor (case 6) and Redis memory (case 7).
const TASKLANE_ONLY = ['process_supervisor_2x50', 'mem_completed', 'mem_marker'];

function runBench(args, timeoutMs) {
  return runScript('bench/run.mjs', args, { watchdogMs: timeoutMs, env: envWithoutTestRedis() });
}

const test = suite('bench/run.mjs --quick');

test('runs every case for every system, exits 0 and writes results JSON and SVG to --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-bench-smoke-'));
  try {
    const out = join(dir, 'results.json');
    const { code, output } = await runBench(['--quick', '--reps', '1', '--out', out], 90_000);
    assert.is(code, 0, `bench exited ${code}:\n${output.slice(-3000)}`);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.ok(json.machine.cpus >= 1);
    assert.type(json.machine.node, 'string');
    assert.match(json.machine.redis, /^\d+\.\d+/);
    assert.equal(json.settings.systems, SYSTEMS);
    assert.equal(json.errors, []);
    for (const system of SYSTEMS) {
      for (const key of HEADLINE) {
        const entry = json.results[system][key];
        assert.ok(entry, `${system} has ${key}`);
        assert.is(entry.reps.length, 1, `${system} ${key} has one rep`);
        assert.ok(Number.isFinite(entry.median) && entry.median > 0, `${system} ${key} median is a positive number, got ${entry.median}`);
      }
    }
    for (const key of TASKLANE_ONLY) {
      assert.ok(json.results.tasklane[key]?.median > 0, `tasklane has ${key}, got ${json.results.tasklane[key]?.median}`);
      assert.not.ok(json.results.bullmq[key], `bullmq has no ${key}`);
    }
    // Every target is judged from this one run, each met or missed.
    assert.is(json.targets.length, TARGETS.length);
    for (const t of json.targets) assert.type(t.met, 'boolean', t.text);
    // Steady state: bee-queue deletes each job at completion; the others reap by age (--quick: 100 ms).
    assert.is(json.settings.retentionMs, 100);
    assert.is(json.results['bee-queue'].process_1x100_held.median, 0);
    assert.ok(json.results.tasklane.process_2x50_held.median <= 100);
    assert.match(readFileSync(join(dir, 'results.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(output, /tasklane vs bullmq/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
