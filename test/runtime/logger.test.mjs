// The runtime logger writes stdout asynchronously and still delivers every line at exit.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('runtime logger');
const BURST = fileURLToPath(new URL('../fixtures/log-burst.mjs', import.meta.url));
const LINES = 5000;
/** How long the reader leaves stdout unread: far more than logging LINES lines may take. */
const STALL_MS = 3000;

/** Runs the burst with a reader that stalls first, as a stuck log shipper would; resolves with its lines. */
function burst(ending) {
  const child = spawn(process.execPath, [BURST, String(LINES), ending], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.pause();
  child.stdout.on('data', (chunk) => (stdout += chunk));
  setTimeout(() => child.stdout.resume(), STALL_MS);
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`log burst (${ending}) did not end; stderr:\n${stderr}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter(Boolean).map((raw) => JSON.parse(raw));
      const report = JSON.parse(stderr.split('\n')[0]);
      resolve({ code, lines, elapsedMs: report.elapsedMs, stderr });
    });
  });
}

function assertAllLines({ lines }) {
  assert.is(lines.length, LINES + 1, 'every line arrived');
  assert.equal(lines.slice(0, LINES).map((l) => l.i), Array.from({ length: LINES }, (_, i) => i), 'in order');
  assert.is(lines.at(-1).msg, 'final line');
}

test('a stalled stdout does not stall logging, and flushLogs() before exit delivers every line', async () => {
  const run = await burst('flush-exit');
  assert.is(run.code, 3);
  // Over 1 MB of lines against a reader that takes nothing for STALL_MS: a synchronous
  // destination would block until the reader wakes up.
  assert.ok(run.elapsedMs < STALL_MS / 3, `logging ${LINES} lines took ${run.elapsedMs.toFixed(0)} ms`);
  assertAllLines(run);
});

test('drainLogs() before exit delivers every line', async () => {
  const run = await burst('drain-exit');
  assert.is(run.code, 3);
  assertAllLines(run);
});

test('process.exit without an explicit flush still delivers every line', async () => {
  const run = await burst('exit');
  assert.is(run.code, 3);
  assertAllLines(run);
});

test('a crash (uncaught exception) right after logging still delivers every line', async () => {
  const run = await burst('throw');
  assert.is(run.code, 1);
  assert.match(run.stderr, /crash after logging/);
  assertAllLines(run);
});

test.run();
