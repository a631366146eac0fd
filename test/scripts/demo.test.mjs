import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realRedisUrl } from '../helpers/backends.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The demo's own deadline for the tasks to settle; the watchdog leaves room for its shutdown. */
const DEMO_TIMEOUT_S = 30;
const WATCHDOG_MS = 40_000;

/** Runs `node scripts/demo.mjs ...args` against the test redis-server; resolves with its exit and output. */
function runDemo(args) {
  const child = spawn(process.execPath, ['scripts/demo.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: realRedisUrl() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  // A hung demo must fail the test, not the suite: Ctrl-C lets it stop what it started.
  const watchdog = setTimeout(() => {
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, WATCHDOG_MS);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(watchdog);
    resolve({ code, signal, output });
  }));
}

/** The number on the table row whose label starts with `label`. */
function row(output, label) {
  const match = new RegExp(`^\\s*${label}\\s+(\\d+)`, 'm').exec(output);
  assert.ok(match, `no "${label}" row in the demo output:\n${output}`);
  return Number(match[1]);
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
    assert.match(output, /Books balance/);
    assert.match(output, /supervisor SIGTERM → exit 0/);
    assert.ok(existsSync(join(out, 'supervisor.log')));
    assert.match(readFileSync(join(out, 'supervisor.log'), 'utf8'), /"msg":"supervisor stopped"/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
