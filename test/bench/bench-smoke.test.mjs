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

test('--cluster: the processing case on 1 and 3 masters, per-node shares written to --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-bench-cluster-'));
  try {
    const out = join(dir, 'cluster-results.json');
    const { code, output } = await runBench(['--cluster', '--quick', '--tasks', '1000', '--shards', '6', '--out', out], 60_000);
    assert.is(code, 0, `bench --cluster exited ${code}:\n${output.slice(-3000)}`);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(json.layouts.map((l) => l.masters), [1, 3]);
    for (const layout of json.layouts) {
      assert.ok(layout.tasksPerSec > 0, `${layout.masters} master(s): tasks/s ${layout.tasksPerSec}`);
      assert.is(layout.nodes.length, layout.masters);
      assert.is(layout.shardsPerMaster.reduce((a, b) => a + b, 0), 6);
      assert.is(layout.runs[0].completed, 1000);
      const shares = layout.nodes.map((n) => n.commandShare);
      assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9, `shares sum to 1: ${shares}`);
      for (const node of layout.nodes) assert.ok(node.commandsPerTask > 0 && node.cpuUsPerTask >= 0, JSON.stringify(node));
    }
    const three = json.layouts[1];
    assert.equal(three.shardsPerMaster, [2, 2, 2]);
    // Every master holds a third of the shards, so it does about a third of the work.
    for (const node of three.nodes) assert.ok(node.commandShare > 0.2 && node.commandShare < 0.47, `share ${node.commandShare}`);
    assert.match(output, /Every master's share of the commands within ±15% of a third: (yes|NO)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
