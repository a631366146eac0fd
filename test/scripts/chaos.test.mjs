import { existsSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { envWithoutTestRedis, row, runScript } from '../helpers/run-script.mjs';

/** The run's own deadline for every task to finish; the watchdog leaves room for its shutdown. */
const CHAOS_TIMEOUT_S = 100;
const WATCHDOG_MS = 150_000;

/** Runs `node scripts/chaos.mjs ...args`, which starts its own redis-server. */
function runChaos(args) {
  return runScript('scripts/chaos.mjs', args, { watchdogMs: WATCHDOG_MS, env: envWithoutTestRedis() });
}

const test = suite('npm run chaos');

/**
 * The books both runs must close with: every one of `unique` ids completed or dead, one
 * record each, one side effect per completed task and none for a dead one. Returns the counts.
 */
function assertBooksBalance(output, unique) {
  assert.is(row(output, 'unique tasks'), unique);
  const completed = row(output, 'completed');
  const dead = row(output, 'dead letters');
  assert.is(completed + dead, unique, output);
  assert.is(row(output, 'lost \\(neither completed nor dead\\)'), 0);
  assert.is(row(output, 'task records in Redis \\(SCAN\\)'), unique);
  assert.is(row(output, 'API side effects'), completed);
  assert.is(row(output, 'Idempotency-Keys with 2\\+ side effects'), 0);
  assert.is(row(output, 'dead letters with a side effect'), 0);
  assert.is(row(output, 'unexpected'), 0);
  assert.ok(row(output, 'worker processes SIGKILLed') > 0, 'workers should have been killed');
  assert.match(output, /Books balance/);
  assert.match(output, /supervisor SIGTERM → exit 0/);
  return { completed, dead };
}

test('a 2000-task run with worker kills and a Redis SIGKILL loses nothing, doubles nothing and exits 0', async () => {
  const { code, signal, output } = await runChaos(['--tasks', '2000', '--seed', '1', '--timeout', String(CHAOS_TIMEOUT_S)]);
  assert.is(signal, null, output);
  assert.is(code, 0, output);

  assert.is(row(output, 'submitted \\(enqueueMany\\)'), 2200);
  assert.is(row(output, 'duplicates suppressed'), 200);
  const { dead } = assertBooksBalance(output, 2000);
  // The API's quota and outage, ridden out by --api-rate and the breaker.
  assert.is(row(output, 'dead letters from throttling'), 0);
  assert.ok(row(output, 'calls during the API outage') > 0, 'the outage happened while tasks ran');

  const permanent = row(output, 'permanent 4xx');
  assert.ok(permanent > 0, 'the permanently refused kinds should produce dead letters');
  assert.is(permanent + row(output, 'out of attempts \\(retryable failure\\)') + row(output, 'stalled: lost too many leases'), dead, output);
  assert.is(row(output, 'no error code or message'), 0);

  assert.is(row(output, 'Redis SIGKILLed, restarted on its AOF'), 1);
  assert.match(output, /✓ task records 2000 → 2000/);
  assert.match(output, /✓ write probe: \d+ INCRs acknowledged before the kill/);

  // Nothing of the run is left on disk.
  const dir = /\(dir (\S+)\/redis\)/.exec(output)?.[1];
  assert.ok(dir, output);
  assert.not.ok(existsSync(dir), `${dir} should have been removed`);
});

test('--cluster: 200 tasks on a 3-master cluster with worker kills and a master SIGKILLed mid-run lose nothing, double nothing and exit 0', async () => {
  const { code, signal, output } = await runChaos(['--cluster', '--tasks', '200', '--seed', '2', '--outage-ms', '0', '--timeout', String(CHAOS_TIMEOUT_S)]);
  assert.is(signal, null, output);
  assert.is(code, 0, output);
  assert.match(output, /--redis-cluster \S+ --shards 6 --durability replicated/);
  assertBooksBalance(output, 200);

  assert.is(row(output, 'Redis masters SIGKILLed, failed over'), 1);
  assert.match(output, /✓ task records 200 → 200/);
  assert.match(output, /✓ write probe: [1-9]\d* INCRs acknowledged by a replica before the kill/);
  assert.match(output, /old master restarted .* before it replicated the new one; durability replicated/);
});

test.run();
