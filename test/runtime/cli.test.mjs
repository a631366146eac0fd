// The supervisor's command line: --help, flag/env parsing and validation, exit codes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAGS, parseCli } from '../../dist/runtime/config.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { killAll, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('supervisor CLI');
test.after.each(killAll);

test('--help lists every flag with its environment variable and default, and exits 0', async () => {
  const sup = startSupervisor(['--help']);
  const { code } = await sup.exited;
  assert.is(code, 0);
  for (const [name, flag] of Object.entries(FLAGS)) {
    assert.ok(sup.stdout.includes(`--${name}`), `--${name} missing from --help`);
    assert.ok(sup.stdout.includes(flag.env), `${flag.env} missing from --help`);
  }
  for (const name of ['--redis', '--queue', '--api-url', '--handlers', '--concurrency', '--processes', '--lease-ms', '--drain-timeout', '--short', '--long', '--log-level']) {
    assert.ok(sup.stdout.includes(name), `${name} missing from --help`);
  }
  assert.match(sup.stdout, /one per lane that has actors/);
});

test('an unknown flag exits 2 naming the flag and the allowed ones', async () => {
  const sup = startSupervisor(['--shrot', '8']);
  const { code } = await sup.exited;
  assert.is(code, 2);
  assert.match(sup.stderr, /Unknown flag `--shrot`/);
  assert.match(sup.stderr, /--short/);
});

test('a bad value exits 2 naming the flag and what it accepts', async () => {
  let sup = startSupervisor(['--short', 'eight']);
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /`--short` \(TASKLANE_SHORT\) to be a whole number/);

  sup = startSupervisor(['--log-level', 'loud']);
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /--log-level.*one of fatal, error, warn, info, debug, trace, silent/);

  sup = startSupervisor([], { env: { TASKLANE_LEASE_MS: '10' } });
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /--lease-ms \(TASKLANE_LEASE_MS\).*from 1000/);

  sup = startSupervisor(['--short', '1', '--long', '1', '--processes', '1']);
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /--processes.*never share a worker process/);
});

test('parseCli: a flag beats its environment variable, which beats the default', () => {
  const env = { TASKLANE_SHORT: '3', TASKLANE_LONG: '2', REDIS_URL: 'redis://env:6379', TASKLANE_DRAIN_TIMEOUT: '2m', TASKLANE_SHARE_LANES: 'yes' };
  const request = parseCli(['--short', '5', '--api-url', 'http://127.0.0.1:9/tasks'], env);
  assert.is(request.help, false);
  assert.equal(request.options, {
    short: 5, long: 2, redis: 'redis://env:6379', apiUrl: 'http://127.0.0.1:9/tasks', drainTimeoutMs: 120_000, shareLanes: true,
  });
  assert.equal(parseCli([], {}).options, {});
  assert.equal(parseCli(['-h'], {}), { help: true });
});

test('parseCli: --task-timeout sets the short-lane default deadline, with units', () => {
  assert.equal(parseCli(['--task-timeout', '1500'], {}).options, { taskTimeoutMs: 1500 });
  assert.equal(parseCli([], { TASKLANE_TASK_TIMEOUT: '2s' }).options, { taskTimeoutMs: 2000 });
  assert.throws(() => parseCli(['--task-timeout', 'soon'], {}), /--task-timeout.*duration such as 30000, 500ms, 30s or 2m/);
});

test('parseCli: --api-timeout (TASKLANE_API_TIMEOUT) sets the long-lane http timeout, with units', () => {
  assert.equal(parseCli(['--api-timeout', '90s'], {}).options, { apiTimeoutMs: 90_000 });
  assert.equal(parseCli([], { TASKLANE_API_TIMEOUT: '2m' }).options, { apiTimeoutMs: 120_000 });
  assert.throws(() => parseCli(['--api-timeout', 'never'], {}), /`--api-timeout` \(TASKLANE_API_TIMEOUT\) to be a duration such as 30000/);
  assert.throws(() => parseCli([], { TASKLANE_API_TIMEOUT: '0' }), /Invalid --api-timeout \(TASKLANE_API_TIMEOUT\): Expected `apiTimeoutMs` to be an integer from 1 to 86400000/);
});

test('parseCli: durations take hours too, as the tasklane CLI\'s do', () => {
  assert.equal(parseCli(['--drain-timeout', '1h'], {}).options, { drainTimeoutMs: 3_600_000 });
  assert.equal(parseCli([], { TASKLANE_TASK_TIMEOUT: '0.5h' }).options, { taskTimeoutMs: 1_800_000 });
});

test('parseCli: the storage flags (and variables) set retention, dedup window and max stalls, with units', () => {
  assert.equal(parseCli(['--completed-retention', '200ms', '--completed-max', '1000', '--dead-retention', '2h', '--dedup-window', '0', '--max-stalls', '3'], {}).options,
    { completedRetentionMs: 200, completedMax: 1000, deadRetentionMs: 7_200_000, dedupWindowMs: 0, maxStalls: 3 });
  const env = { TASKLANE_COMPLETED_RETENTION: '30s', TASKLANE_COMPLETED_MAX: '50', TASKLANE_DEAD_RETENTION: '1h', TASKLANE_DEDUP_WINDOW: '5m', TASKLANE_MAX_STALLS: '9' };
  assert.equal(parseCli(['--max-stalls', '1'], env).options, { completedRetentionMs: 30_000, completedMax: 50, deadRetentionMs: 3_600_000, dedupWindowMs: 300_000, maxStalls: 1 });
});

test('parseCli: a bad storage value names the flag, its variable and what it takes', () => {
  const cases = [
    [['--completed-retention', 'soon'], {}, '--completed-retention', /`--completed-retention` \(TASKLANE_COMPLETED_RETENTION\) to be a duration such as 30000/],
    [['--completed-max=-5'], {}, '--completed-max', /`--completed-max` \(TASKLANE_COMPLETED_MAX\) to be a whole number from 0 up, got `-5`/],
    [[], { TASKLANE_COMPLETED_MAX: 'lots' }, '--completed-max', /`TASKLANE_COMPLETED_MAX` \(--completed-max\) to be a whole number/],
    [['--dead-retention', '0'], {}, '--dead-retention', /Invalid --dead-retention \(TASKLANE_DEAD_RETENTION\): Expected `deadRetentionMs` to be an integer from 1 to 31536000000/],
    [['--dedup-window', '9000h'], {}, '--dedup-window', /Invalid --dedup-window \(TASKLANE_DEDUP_WINDOW\): Expected `dedupWindowMs` to be an integer from 0 to 31536000000/],
    [[], { TASKLANE_MAX_STALLS: '5000' }, '--max-stalls', /Invalid --max-stalls \(TASKLANE_MAX_STALLS\): Expected `maxStalls` to be an integer from 0 to 1000/],
  ];
  for (const [argv, env, option, pattern] of cases) {
    assert.throws(() => parseCli(argv, env), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && pattern.test(err.message), `${argv} ${JSON.stringify(env)}`);
  }
});

test('parseCli: --redis takes a Unix socket path', () => {
  assert.equal(parseCli(['--redis', '/tmp/redis.sock'], {}).options, { redis: '/tmp/redis.sock' });
  assert.throws(() => parseCli(['--redis', 'localhost:6379'], {}), /Invalid --redis \(REDIS_URL\): Expected `redis` to be a redis:\/\/ or rediss:\/\/ URL \(or a Unix socket path\)/);
});

test('parseCli: --short 0 and --long 0 are each valid', () => {
  assert.equal(parseCli(['--short', '0'], {}).options, { short: 0 });
  assert.equal(parseCli(['--long', '0'], {}).options, { long: 0 });
  assert.equal(parseCli(['--short', '0', '--long', '0'], {}).options, { short: 0, long: 0 });
});

test('parseCli: errors carry the flag as `option` and a stable code', () => {
  try {
    parseCli(['--concurrency', '0'], {});
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is(err.code, 'TASKLANE_ERR_INVALID_OPTION');
    assert.is(err.option, '--concurrency');
    assert.match(err.message, /Invalid --concurrency \(TASKLANE_CONCURRENCY\): Expected `concurrency` to be an integer from 1/);
  }
});

test('--short 0 --long 0 runs no workers, keeps sweeping, and exits 0 on SIGTERM', async () => {
  const sup = startSupervisor(['--short', '0', '--long', '0', '--redis', realRedisUrl(), '--queue', uniqueName('cli')]);
  await sup.waitForLog((l) => l.msg === 'supervisor running');
  const { code } = await sup.stop('SIGTERM');
  assert.is(code, 0);
  assert.ok(sup.logs.some((l) => /no actors configured/.test(l.msg ?? '')));
});

test.run();
