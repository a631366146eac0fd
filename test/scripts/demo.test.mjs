import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { row, runScript } from '../helpers/run-script.mjs';
import { realRedisUrl } from '../helpers/backends.mjs';

/** The demo's own deadline for the tasks to settle; the watchdog leaves room for its shutdown. */
const DEMO_TIMEOUT_S = 30;
const WATCHDOG_MS = 40_000;

/** Runs `node scripts/demo.mjs ...args` against the test redis-server. */
function runDemo(args) {
  return runScript('scripts/demo.mjs', args, { watchdogMs: WATCHDOG_MS, env: { ...process.env, REDIS_URL: realRedisUrl() } });
}

const test = suite('npm run demo');

test('a 400-task run on REDIS_URL accounts for every task, balances its books and exits 0', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tasklane-demo-'));
  try {
    const { code, signal, output } = await runDemo(['--tasks', '400', '--out', out, '--timeout', String(DEMO_TIMEOUT_S)]);
    assert.is(signal, null, output);
    assert.is(code, 0, output);
    assert.match(output, /REDIS_URL .*queue demo-\S+ of its own; nothing is flushed/);
    assert.is(row(output, 'submitted \\(enqueueMany\\)'), 440);
    assert.is(row(output, 'duplicates suppressed'), 40);
    assert.is(row(output, 'unique tasks'), 400);
    const completed = row(output, 'completed');
    const dead = row(output, 'dead letters');
    assert.is(completed + dead, 400, output);
    assert.ok(dead > 0, 'the permanent 4xx kinds should produce dead letters');
    assert.is(row(output, 'lost \\(neither completed nor dead\\)'), 0);
    assert.is(row(output, 'API side effects'), completed);
    assert.is(row(output, 'Idempotency-Keys with 2\\+ side effects'), 0);
    // The API's quota and outage, ridden out by --api-rate and the breaker.
    assert.is(row(output, 'dead letters from throttling'), 0);
    assert.ok(row(output, 'calls during the API outage') > 0, 'the outage happened while tasks ran');
    assert.ok(row(output, 'calls answered 429 \\(quota\\)') <= row(output, 'calls to the API') * 0.01, output);
    assert.match(output, /Books balance/);
    assert.match(output, /supervisor SIGTERM → exit 0/);
    assert.ok(existsSync(join(out, 'supervisor.log')));
    assert.match(readFileSync(join(out, 'supervisor.log'), 'utf8'), /"msg":"supervisor stopped"/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('without redis-server on PATH and without REDIS_URL, the demo says how to get one and exits 1', async () => {
  // A PATH that holds nothing: the demo runs on process.execPath, so only redis-server is missing.
  const emptyBin = mkdtempSync(join(tmpdir(), 'tasklane-no-redis-'));
  const out = mkdtempSync(join(tmpdir(), 'tasklane-demo-'));
  try {
    const env = { ...process.env, PATH: emptyBin };
    delete env.REDIS_URL;
    const started = Date.now();
    const { code, output } = await runScript('scripts/demo.mjs', ['--tasks', '10', '--out', out], { watchdogMs: WATCHDOG_MS, env });
    assert.is(code, 1, output);
    assert.match(output, /no redis-server on PATH, and no REDIS_URL/);
    assert.match(output, /apt-get install redis-server/);
    assert.match(output, /set REDIS_URL/);
    assert.ok(Date.now() - started < 10_000, `the demo should fail at once, took ${Date.now() - started} ms`);
  } finally {
    rmSync(emptyBin, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
