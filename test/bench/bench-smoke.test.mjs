import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SYSTEMS = ['tasklane', 'bullmq', 'bee-queue'];
const HEADLINE = ['bulk_enqueue', 'process_1x100', 'process_2x50', 'latency_p50', 'latency_p99', 'latency_max', 'http_1x100', 'cmds_sent', 'cmds_executed'];

/** Runs `node bench/run.mjs ...args` to the end; resolves with its exit code and output. */
function runBench(args, timeoutMs) {
  return new Promise((resolve) => {
    // The bench starts its own redis-server; the test suite's server must play no part in it.
    const env = { ...process.env };
    delete env.TASKLANE_TEST_REDIS_URL;
    const child = spawn(process.execPath, ['bench/run.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
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
