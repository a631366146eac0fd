// The supervisor's start-up: mistakes fail fast with one clear line on stderr; nothing
// reports ready before Redis answers; --redis-wait bounds that wait; a stop while waiting
// is immediate; a queue of another key layout is refused; waiting `http` tasks without
// --api-url are named; unknown types are parked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { cli } from '../helpers/cli.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';
import { freePort, startRedisServer } from '../helpers/redis-server.mjs';
import { eventually, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const READY = (l) => l.msg === 'worker ready' || l.msg === 'supervisor running';
/** Generous for a loaded 2-core machine; the README quotes the measured figures. */
const FAIL_FAST_MS = 5000;

async function timedExit(args) {
  const started = Date.now();
  const sup = startSupervisor(args);
  const { code } = await sup.exited;
  return { sup, code, ms: Date.now() - started };
}

const handlers = suite('supervisor start-up: the handlers module');
handlers.after.each(killAll);

for (const [what, path, reason] of [
  ['missing', 'test/fixtures/no-such-handlers.mjs', /no-such-handlers\.mjs`: no such file$/],
  ['throwing on import', 'test/fixtures/handlers-throws.mjs', /it threw on import: Error: boom: handlers module failed on import$/],
  ['of the wrong shape', 'test/fixtures/handlers-wrong-shape.mjs', /Expected `resize` in the default export of `.*handlers-wrong-shape\.mjs` to be a handler function, got string$/],
]) {
  handlers(`a handlers module ${what}: one line on stderr naming --handlers, exit 2, nothing forked`, async () => {
    const { sup, code, ms } = await timedExit(['--redis', realRedisUrl(), '--queue', uniqueName('start'), '--handlers', path]);
    assert.is(code, 2);
    const lines = sup.stderr.trimEnd().split('\n');
    assert.is(lines.length, 1, `one line on stderr, got:\n${sup.stderr}`);
    assert.match(lines[0], /^tasklane: Invalid --handlers \(TASKLANE_HANDLERS\): Could not load the handlers module `|^tasklane: Invalid --handlers \(TASKLANE_HANDLERS\): Expected/);
    assert.match(lines[0], reason);
    assert.is(sup.logs.length, 0, 'no crash loop in the log: no worker was forked');
    assert.ok(ms < FAIL_FAST_MS, `failed in ${ms} ms`);
  });
}

handlers('an invalid flag fails as fast, exit 2', async () => {
  const { sup, code, ms } = await timedExit(['--redis-wait', 'soon']);
  assert.is(code, 2);
  assert.match(sup.stderr, /`--redis-wait` \(TASKLANE_REDIS_WAIT\) to be a duration/);
  assert.ok(ms < FAIL_FAST_MS, `failed in ${ms} ms`);
});

handlers.run();

const redis = suite('supervisor start-up: Redis unreachable');
redis.after.each(killAll);

redis('--redis-wait: exit 3 once it has passed, the reason last on stdout and on stderr, no worker started', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const { sup, code, ms } = await timedExit(['--redis', url, '--redis-wait', '1s', '--handlers', 'test/fixtures/handlers-basic.mjs']);
  assert.is(code, 3);
  assert.ok(ms >= 1000 && ms < 1000 + FAIL_FAST_MS, `exited after ${ms} ms`);
  assert.match(sup.stderr, new RegExp(`^tasklane: Redis at ${url} did not answer within 1000 ms \\(--redis-wait, TASKLANE_REDIS_WAIT\\): ECONNREFUSED.*; no worker was started\\n$`));
  const last = sup.logs.at(-1);
  assert.is(last.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
  assert.is(last.exitCode, 3);
  assert.ok(!sup.logs.some(READY), 'nothing reported ready');
  assert.ok(sup.logs.some((l) => /cannot reach Redis/.test(l.msg ?? '')), 'the usual unreachable message came first');
});

redis('TASKLANE_REDIS_WAIT sets it too', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const sup = startSupervisor(['--redis', url, '--short', '1', '--long', '0'], { env: { TASKLANE_REDIS_WAIT: '500ms' } });
  assert.is((await sup.exited).code, 3);
  assert.match(sup.stderr, /within 500 ms/);
});

redis('without --redis-wait it waits, ready only once Redis answers; then runs tasks', async () => {
  const port = await freePort();
  const queue = uniqueName('late');
  const sup = startSupervisor(['--redis', `redis://127.0.0.1:${port}`, '--queue', queue, '--short', '1', '--long', '0', '--handlers', 'test/fixtures/handlers-basic.mjs']);
  let server;
  let producer;
  try {
    await sup.waitForLog((l) => /cannot reach Redis/.test(l.msg ?? ''), 10_000, 'the unreachable message');
    await sleep(1500);
    assert.ok(!sup.logs.some(READY), 'nothing reported ready while Redis is away');
    assert.is(sup.child.exitCode, null, 'still waiting');
    server = await startRedisServer({ port });
    const running = await sup.waitForLog((l) => l.msg === 'supervisor running', 20_000, 'supervisor running');
    const up = sup.logs.findIndex((l) => /connected to Redis/.test(l.msg ?? ''));
    assert.ok(up >= 0 && up < sup.logs.indexOf(running), 'running only after Redis answered');
    producer = new TaskQueue({ redis: server.url, name: queue });
    await producer.enqueue({ id: 'late-1', type: 'echo' });
    await eventually(async () => (await producer.get('late-1'))?.state === 'completed', { what: 'the task to complete' });
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer?.close();
    await server?.stop();
  }
});

redis('SIGTERM while waiting for Redis exits at once (regression: it took 34 s)', async () => {
  const url = `redis://127.0.0.1:${await freePort()}`;
  const sup = startSupervisor(['--redis', url, '--short', '2', '--long', '1', '--handlers', 'test/fixtures/handlers-basic.mjs']);
  await sup.waitForLog((l) => /cannot reach Redis/.test(l.msg ?? ''), 10_000, 'the unreachable message');
  await sleep(500);
  const started = Date.now();
  const { code } = await sup.stop('SIGTERM');
  const ms = Date.now() - started;
  assert.is(code, 0);
  assert.ok(ms < 1000, `exited ${ms} ms after SIGTERM`);
});

redis.run();

const work = suite('supervisor start-up: work no handler takes');
work.after.each(killAll);

work('http tasks waiting and no --api-url: one warning naming the flag; none with --api-url', async () => {
  const queue = uniqueName('nohttp');
  const producer = new TaskQueue({ redis: realRedisUrl(), name: queue });
  producer.on('queue:warning', () => {});
  try {
    await producer.enqueueMany([{ id: 'e', type: 'echo', delayMs: 60_000 }, { id: 'h', type: 'http', delayMs: 60_000 }]);
    const sup = startSupervisor(['--redis', realRedisUrl(), '--queue', queue, '--short', '1', '--long', '0', '--handlers', 'test/fixtures/handlers-basic.mjs']);
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    const warnings = sup.logs.filter((l) => l.level === 40 && /--api-url/.test(l.msg ?? ''));
    assert.is(warnings.length, 1);
    assert.match(warnings[0].msg, /tasks of type `http` are waiting, but --api-url \(EXTERNAL_API_URL\) is not set/);
    assert.is((await sup.stop('SIGTERM')).code, 0);

    const withApi = startSupervisor(['--redis', realRedisUrl(), '--queue', queue, '--short', '1', '--long', '0', '--api-url', 'http://127.0.0.1:9/tasks']);
    await withApi.waitForLog((l) => l.msg === 'supervisor running');
    assert.ok(!withApi.logs.some((l) => /--api-url/.test(l.msg ?? '')), 'no warning with --api-url');
    assert.is((await withApi.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
  }
});

work('an unknown type is parked (uncounted, warned, counted in /metrics), then dead-lettered after --unknown-type-grace', async () => {
  const queue = uniqueName('park');
  const producer = new TaskQueue({ redis: realRedisUrl(), name: queue });
  producer.on('queue:warning', () => {});
  const sup = startSupervisor(['--redis', realRedisUrl(), '--queue', queue, '--short', '1', '--long', '0', '--http', '0',
    '--handlers', 'test/fixtures/handlers-basic.mjs', '--unknown-type-grace', '3s', '--drain-timeout', '1s']);
  try {
    const { url } = await sup.waitForLog((l) => l.msg === 'http listening');
    await sup.waitForLog((l) => l.msg === 'supervisor running');
    await producer.enqueue({ id: 'future-1', type: 'resize-v2', maxAttempts: 1 });
    const warning = await sup.waitForLog((l) => l.level === 40 && l.type === 'resize-v2', 10_000, 'the park warning');
    assert.match(warning.msg, /no handler here for task type `resize-v2`; parked for \d+ ms/);
    const parked = await producer.get('future-1');
    assert.is(parked.state, 'delayed', 'parked, not dead, although maxAttempts is 1');
    assert.is(parked.attempts, 0);
    const dead = await eventually(async () => {
      const info = await producer.get('future-1');
      return info.state === 'dead' && info;
    }, { timeoutMs: 15_000, what: 'the task dead-lettered after the grace' });
    assert.is(dead.error.code, 'TASKLANE_ERR_UNKNOWN_TYPE');
    assert.match(dead.error.message, /after parking it for 3000 ms/);
    const metrics = parseExposition(await (await fetch(`${url}/metrics`)).text());
    const parks = sampleValue(metrics, 'tasklane_unknown_type_total', { type: 'resize-v2' });
    assert.ok(parks >= 2, `parked at least twice before the grace ended, counted ${parks}`);
    assert.is(sampleValue(metrics, 'tasklane_tasks_dead_total', { type: 'resize-v2' }), 1);
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await producer.close();
  }
});

work.run();

const layout = suite('start-up: a queue stored in another key layout');
layout.after.each(killAll);

/** A queue on the test Redis whose layout key says `stamp`, with a waiting task. */
async function stampedQueue(stamp) {
  const name = uniqueName('layout');
  const admin = new Redis(realRedisUrl());
  await admin.set(`tl:{${name}}:layout`, stamp);
  await admin.zadd(`tl:{${name}}:wait:short`, 0, '000000000000001a');
  return { name, admin };
}

layout('the supervisor (with --http) refuses it at start-up: exit 1, the reason on stderr, no worker forked, nothing written', async () => {
  const { name, admin } = await stampedQueue('3');
  try {
    const { sup, code, ms } = await timedExit(['--redis', realRedisUrl(), '--queue', name, '--short', '1', '--long', '0', '--http', '0', '--handlers', 'test/fixtures/handlers-basic.mjs']);
    assert.is(code, 1);
    assert.ok(ms < FAIL_FAST_MS, `failed in ${ms} ms`);
    const expected = `tasklane: queue \`${name}\` is stored in key layout 3 (tl:{${name}}:layout), written by a newer tasklane; this version reads layout 2 only. Nothing was read or written: `;
    assert.ok(sup.stderr.startsWith(expected), sup.stderr);
    assert.is(sup.stderr.trimEnd().split('\n').length, 1, 'one line on stderr');
    const last = sup.logs.at(-1);
    assert.is(last.code, 'TASKLANE_ERR_LAYOUT');
    assert.is(last.exitCode, 1);
    assert.ok(!sup.logs.some(READY), 'nothing reported ready');
    assert.ok(!sup.logs.some((l) => l.msg === 'worker exited' || l.worker), 'no worker was forked');
    assert.is(await admin.get(`tl:{${name}}:layout`), '3');
    assert.is(await admin.zcard(`tl:{${name}}:wait:short`), 1);
  } finally {
    admin.disconnect();
  }
});

layout('createRuntime({ processes: 0 }): start() rejects with the LayoutError and the runtime is stopped', async () => {
  const { createRuntime, LayoutError } = await import('../../dist/index.js');
  const { name, admin } = await stampedQueue('garbage');
  try {
    const runtime = createRuntime({ processes: 0, short: 1, long: 0, redis: realRedisUrl(), queue: name, logLevel: 'silent', handlers: { echo: async () => 1 } });
    const failed = [];
    runtime.on('runtime:failed', (err) => failed.push(err));
    const err = await runtime.start().then(() => null, (e) => e);
    assert.instance(err, LayoutError);
    assert.is(err.found, 'garbage');
    assert.equal(failed, [err]);
    assert.is(runtime.state, 'stopped');
  } finally {
    admin.disconnect();
  }
});

layout('the CLI refuses it before its command runs: exit 1, one coded error on stderr, nothing enqueued', async () => {
  const { name, admin } = await stampedQueue('3');
  try {
    const run = await cli(['enqueue', '--id', 'x', '--payload', 'null', '--redis', realRedisUrl(), '--queue', name, '--json']);
    assert.is(run.code, 1);
    assert.match(run.stderr, /TASKLANE_ERR_LAYOUT/);
    assert.match(run.stderr, /stored in key layout 3/);
    assert.is(await admin.exists(`tl:{${name}}:t:x`), 0);
  } finally {
    admin.disconnect();
  }
});

layout('the supervisor opened with another --shards than the queue was stored in refuses it at start-up: exit 1, TASKLANE_ERR_SHARD_COUNT, nothing written', async () => {
  const { name, admin } = await stampedQueue('2/6');
  try {
    const { sup, code, ms } = await timedExit(['--redis', realRedisUrl(), '--queue', name, '--shards', '3', '--short', '1', '--long', '0', '--handlers', 'test/fixtures/handlers-basic.mjs']);
    assert.is(code, 1);
    assert.ok(ms < FAIL_FAST_MS, `failed in ${ms} ms`);
    assert.match(sup.stderr, /is stored in 6 shard\(s\); this TaskQueue was opened with `shards` 3/);
    assert.match(sup.stderr, /--shards 6/);
    const last = sup.logs.at(-1);
    assert.equal([last.code, last.exitCode], ['TASKLANE_ERR_SHARD_COUNT', 1]);
    assert.ok(!sup.logs.some(READY), 'nothing reported ready');
    assert.ok(!sup.logs.some((l) => l.msg === 'worker exited' || l.worker), 'no worker was forked');
    assert.is(await admin.get(`tl:{${name}}:layout`), '2/6');
    for (let shard = 1; shard < 3; shard++) assert.equal(await admin.keys(`tl:{${name}~${shard}}:*`), [], `nothing written to shard ${shard}`);
  } finally {
    admin.disconnect();
  }
});

layout.run();

const options = suite('start-up options');

options('--redis-wait and --unknown-type-grace take durations, from the flag or the environment, and name both when bad', async () => {
  const { parseCli } = await import('../../dist/runtime/config.js');
  assert.equal(parseCli(['--redis-wait', '2s', '--unknown-type-grace', '15m'], {}).options, { redisWaitMs: 2000, unknownTypeGraceMs: 900_000 });
  assert.equal(parseCli([], { TASKLANE_REDIS_WAIT: '500ms', TASKLANE_UNKNOWN_TYPE_GRACE: '0' }).options, { redisWaitMs: 500, unknownTypeGraceMs: 0 });
  assert.throws(() => parseCli([], { TASKLANE_UNKNOWN_TYPE_GRACE: 'later' }), (err) => err.option === '--unknown-type-grace' && /`TASKLANE_UNKNOWN_TYPE_GRACE` \(--unknown-type-grace\) to be a duration/.test(err.message));
  assert.throws(() => parseCli(['--redis-wait', '0'], {}), (err) => err.option === '--redis-wait' && /Invalid --redis-wait \(TASKLANE_REDIS_WAIT\): Expected `redisWaitMs` to be an integer from 1/.test(err.message));
});

options('createRuntime({ processes: 0, redisWaitMs }): start() rejects with a RedisWaitError and the runtime is stopped', async () => {
  const { createRuntime, RedisWaitError } = await import('../../dist/index.js');
  const runtime = createRuntime({ processes: 0, short: 1, long: 0, redis: `redis://127.0.0.1:${await freePort()}`, redisWaitMs: 300, logLevel: 'silent', handlers: { echo: async () => 1 } });
  const failed = [];
  runtime.on('runtime:failed', (err) => failed.push(err));
  const started = Date.now();
  const err = await runtime.start().then(() => null, (e) => e);
  assert.instance(err, RedisWaitError);
  assert.is(err.code, 'TASKLANE_ERR_REDIS_UNAVAILABLE');
  assert.ok(Date.now() - started < 300 + FAIL_FAST_MS);
  assert.is(failed.length, 1);
  assert.is(runtime.state, 'stopped');
});

options('createRuntime with worker processes: a bad handlers module rejects start() with an OptionError before anything runs', async () => {
  const { createRuntime, OptionError } = await import('../../dist/index.js');
  const runtime = createRuntime({ short: 1, long: 0, redis: realRedisUrl(), queue: uniqueName('embed'), logLevel: 'silent', handlers: 'test/fixtures/handlers-wrong-shape.mjs' });
  const ready = [];
  runtime.on('worker:ready', (w) => ready.push(w));
  const err = await runtime.start().then(() => null, (e) => e);
  assert.instance(err, OptionError);
  assert.is(err.option, 'handlers');
  assert.is(runtime.state, 'stopped');
  assert.is(ready.length, 0);
});

options.run();

const wait = suite('awaitRedis');

wait('a client that refuses every PING is asked again with pauses, until the wait is over', async () => {
  const { awaitRedis } = await import('../../dist/runtime/startup.js');
  let pings = 0;
  const client = { ping: () => { pings += 1; return Promise.reject(new Error('refused')); } };
  const started = Date.now();
  assert.is(await awaitRedis(client, { waitMs: 700 }), 'timeout');
  const ms = Date.now() - started;
  assert.ok(ms >= 600 && ms < 2000, `gave up after ${ms} ms`);
  assert.ok(pings >= 2 && pings <= 5, `${pings} pings: no spinning`);
});

wait('an answer resolves up; an abort resolves aborted', async () => {
  const { awaitRedis } = await import('../../dist/runtime/startup.js');
  assert.is(await awaitRedis({ ping: async () => 'PONG' }, { waitMs: null }), 'up');
  const halt = new AbortController();
  const pending = awaitRedis({ ping: () => new Promise(() => {}) }, { waitMs: null, signal: halt.signal });
  halt.abort();
  assert.is(await pending, 'aborted');
});

wait.run();
