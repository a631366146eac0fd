import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { envWithoutTestRedis, runScript } from '../helpers/run-script.mjs';

const SYSTEMS = ['tasklane', 'bullmq', 'bee-queue'];
const HEADLINE = ['bulk_enqueue', 'process_1x100', 'process_2x50', 'latency_p50', 'latency_p99', 'latency_max', 'http_1x100', 'cmds_sent', 'cmds_executed'];

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
    assert.match(readFileSync(join(dir, 'results.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(output, /tasklane vs bullmq/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
