// Pure parts of the runtime: the actor plan, the restart policy, IPC validation, options.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePrimaryMessage, parseWorkerMessage, readWorkerInit, toErrorData, fromErrorData, WORKER_INIT_ENV } from '../../dist/runtime/ipc.js';
import { planWorkers } from '../../dist/runtime/plan.js';
import { RestartPolicy } from '../../dist/runtime/restart-policy.js';
import { resolveOptions } from '../../dist/runtime/options.js';
import { ExpiredLeaseReaper, reapIntervalMs } from '../../dist/runtime/reaper.js';
import { createRuntime, OptionError, HttpStatusError } from '../../dist/index.js';

const plan = suite('planWorkers');

plan('by default one process per lane with actors; lanes never share', () => {
  const options = resolveOptions({ short: 8, long: 2 });
  assert.is(options.processes, 2);
  assert.equal(planWorkers(options), [{ short: 8, long: 0 }, { short: 0, long: 2 }]);
  assert.equal(planWorkers(resolveOptions({ short: 3, long: 0 })), [{ short: 3, long: 0 }]);
  assert.equal(planWorkers(resolveOptions({ short: 0, long: 0 })), []);
});

plan('more processes are split between lanes by actor count, never mixing lanes', () => {
  assert.equal(planWorkers({ short: 8, long: 2, processes: 4, shareLanes: false }),
    [{ short: 3, long: 0 }, { short: 3, long: 0 }, { short: 2, long: 0 }, { short: 0, long: 2 }]);
  assert.equal(planWorkers({ short: 1, long: 9, processes: 3, shareLanes: false }),
    [{ short: 1, long: 0 }, { short: 0, long: 5 }, { short: 0, long: 4 }]);
  for (const [short, long, processes] of [[1, 1, 2], [5, 5, 7], [2, 30, 5], [30, 1, 9], [3, 3, 100]]) {
    const slots = planWorkers({ short, long, processes, shareLanes: false });
    assert.ok(slots.every((s) => s.short === 0 || s.long === 0), `mixed lanes in ${JSON.stringify(slots)}`);
    assert.ok(slots.every((s) => s.short + s.long > 0), 'an empty process');
    assert.is(slots.reduce((n, s) => n + s.short, 0), short);
    assert.is(slots.reduce((n, s) => n + s.long, 0), long);
    assert.is(slots.length, Math.min(processes, short + long));
  }
});

plan('shareLanes spreads both lanes over fewer processes', () => {
  assert.equal(planWorkers({ short: 3, long: 1, processes: 1, shareLanes: true }), [{ short: 3, long: 1 }]);
  assert.equal(planWorkers({ short: 3, long: 1, processes: 2, shareLanes: true }), [{ short: 2, long: 0 }, { short: 1, long: 1 }]);
});

plan.run();

const policy = suite('RestartPolicy');
const options = { baseDelayMs: 100, maxDelayMs: 10_000, maxCrashes: 3, minUptimeMs: 5000 };

policy('crashes before ready count, back off, and give up after maxCrashes', () => {
  const p = new RestartPolicy(options);
  assert.equal(p.decide({ ready: false, uptimeMs: 50, code: 1, signal: null }), { restart: true, delayMs: 200, immediateCrash: true });
  assert.equal(p.decide({ ready: false, uptimeMs: 50, code: 1, signal: null }), { restart: true, delayMs: 400, immediateCrash: true });
  assert.equal(p.decide({ ready: false, uptimeMs: 50, code: null, signal: 'SIGSEGV' }), { restart: false, crashes: 3 });
});

policy('workers killed from outside never count, even before ready (chaos)', () => {
  const p = new RestartPolicy(options);
  for (let i = 0; i < 50; i += 1) {
    const decision = p.decide({ ready: i % 2 === 0, uptimeMs: 300, code: null, signal: 'SIGKILL' });
    assert.equal(decision, { restart: true, delayMs: 100, immediateCrash: false });
  }
  assert.is(p.crashes, 0);
});

policy('a worker that ran past minUptimeMs resets the count', () => {
  const p = new RestartPolicy(options);
  p.decide({ ready: false, uptimeMs: 50, code: 1, signal: null });
  p.decide({ ready: true, uptimeMs: 1000, code: 1, signal: null });
  assert.is(p.crashes, 2);
  assert.equal(p.decide({ ready: true, uptimeMs: 60_000, code: 1, signal: null }), { restart: true, delayMs: 100, immediateCrash: false });
  assert.is(p.crashes, 0);
});

policy.run();

const ipc = suite('IPC messages');

ipc('valid messages pass in both directions', () => {
  assert.ok(parsePrimaryMessage({ type: 'drain', timeoutMs: 1000 }).ok);
  const stats = { inFlight: 1, completed: 2, retried: 0, dead: 0, leasesLost: 0, errors: 0 };
  for (const message of [
    { type: 'ready', owner: 'h/1/w0.1', pid: 42, lanes: { short: 2, long: 0 } },
    { type: 'stats', owner: 'h/1/w0.1', stats },
    { type: 'drained', owner: 'h/1/w0.1', stats },
    { type: 'fatal', owner: 'h/1/w0.1', error: { name: 'Error', message: 'x' } },
    { type: 'task', event: 'dead', owner: 'o', task: { id: 'a', type: 'http', lane: 'short', attempt: 1, fence: 3 }, error: { name: 'HttpStatusError', message: '422', code: 'TASKLANE_ERR_HTTP_STATUS' } },
  ]) {
    const parsed = parseWorkerMessage(message);
    assert.ok(parsed.ok, JSON.stringify(parsed));
  }
});

ipc('unknown and malformed messages are refused with a reason, never thrown', () => {
  for (const raw of [null, 'drain', 42, [], { type: 'nope' }, { type: 'drain' }, { type: 'drain', timeoutMs: -1 }, { type: 'toString' }, { type: '__proto__' }]) {
    const parsed = parsePrimaryMessage(raw);
    assert.is(parsed.ok, false, JSON.stringify(raw));
    assert.type(parsed.problem, 'string');
  }
  const bad = parseWorkerMessage({ type: 'ready', owner: 'o', pid: 'x', lanes: { short: 1, long: 0 } });
  assert.is(bad.ok, false);
  assert.match(bad.problem, /`ready` message: field `pid`/);
  assert.is(parseWorkerMessage({ type: 'task', event: 'exploded', owner: 'o', task: { id: 'a', type: 't', lane: 'short', attempt: 1, fence: 1 } }).ok, false);
});

ipc('wedged and the stats\' stuck counts are checked like every other message', () => {
  const stats = { inFlight: 0, completed: 0, retried: 0, dead: 0, leasesLost: 0, errors: 0 };
  assert.ok(parseWorkerMessage({ type: 'wedged', owner: 'h/1/w0.1', lane: 'short', stuck: 10, concurrency: 10 }).ok);
  assert.ok(parseWorkerMessage({ type: 'stats', owner: 'h/1/w0.1', stats, stuck: { short: 3, long: 0 } }).ok);
  const badLane = parseWorkerMessage({ type: 'wedged', owner: 'o', lane: 'medium', stuck: 1, concurrency: 1 });
  assert.is(badLane.ok, false);
  assert.match(badLane.problem, /`wedged` message: field `lane`/);
  assert.is(parseWorkerMessage({ type: 'wedged', owner: 'o', lane: 'long', stuck: -1, concurrency: 1 }).ok, false);
  assert.match(parseWorkerMessage({ type: 'stats', owner: 'o', stats, stuck: { short: 1 } }).problem, /field `stuck`/);
});

ipc('errors cross as plain data and come back with name, code and stack', () => {
  const data = toErrorData(new HttpStatusError(503, { retryable: true }));
  assert.equal(Object.keys(data).sort(), ['code', 'message', 'name', 'stack']);
  assert.is(JSON.parse(JSON.stringify(data)).code, 'TASKLANE_ERR_HTTP_STATUS');
  const back = fromErrorData(data);
  assert.instance(back, Error);
  assert.is(back.name, 'HttpStatusError');
  assert.is(back.code, 'TASKLANE_ERR_HTTP_STATUS');
  assert.equal(toErrorData('plain'), { name: 'Error', message: 'plain' });
});

ipc('readWorkerInit refuses a missing or malformed start-up setting', () => {
  assert.throws(() => readWorkerInit({}), /only as a worker forked by the tasklane supervisor/);
  assert.throws(() => readWorkerInit({ [WORKER_INIT_ENV]: '{' }), /not valid JSON/);
  assert.throws(() => readWorkerInit({ [WORKER_INIT_ENV]: JSON.stringify({ type: 'init', index: 0 }) }), /field `owner`/);
});

ipc('the init message carries the storage settings, and a malformed one is refused', () => {
  const o = resolveOptions({ completedRetentionMs: 200, completedMax: 10, maxStalls: 2 });
  const init = {
    type: 'init', index: 0, owner: 'h/1/w0.1', lanes: { short: 1, long: 0 }, redis: 'redis://127.0.0.1:1', redisTlsCa: null, queue: 'q',
    concurrency: 1, leaseMs: o.leaseMs, taskTimeoutMs: o.taskTimeoutMs, drainTimeoutMs: o.drainTimeoutMs, unknownTypeGraceMs: 0, apiUrl: null,
    apiTimeoutMs: o.apiTimeoutMs, apiGuard: o.apiGuard, storage: o.storage, handlers: null, logLevel: 'info', statsEveryMs: 1000,
  };
  const read = (value) => readWorkerInit({ [WORKER_INIT_ENV]: JSON.stringify(value) });
  assert.equal(read(init).storage, { completedRetention: { ms: 200, max: 10 }, deadRetentionMs: 604_800_000, dedupWindowMs: 86_400_000, maxStalls: 2, shards: 1, durability: 'async' });
  const bad = [{ ...o.storage, shards: 0 }, { ...o.storage, shards: undefined }, { ...o.storage, durability: 'sync' }, { ...o.storage, durability: undefined }];
  for (const storage of [undefined, {}, { ...o.storage, completedRetention: { ms: 200 } }, { ...o.storage, maxStalls: -1 }, { ...o.storage, dedupWindowMs: '1h' }, ...bad]) {
    assert.throws(() => read({ ...init, storage }), /field `storage`/, JSON.stringify(storage));
  }
});

ipc.run();

const opts = suite('runtime options');

opts('option errors name the option and what it accepts', () => {
  const cases = [
    [{ short: -1 }, /`short` to be an integer from 0 to 1000, got `-1` \(number\)/],
    [{ concurrency: 1.5 }, /`concurrency` to be an integer from 1/],
    [{ logLevel: 'loud' }, /`logLevel` to be one of fatal, error/],
    [{ apiUrl: 'ftp://x' }, /`apiUrl` to be an http:\/\/ or https:\/\/ URL/],
    [{ redis: 'localhost:6379' }, /`redis` to be a redis:\/\/ or rediss:\/\/ URL/],
    [{ processes: 1, short: 1, long: 1 }, /`processes` to be 0 or from 2 up/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => resolveOptions(input), (err) => err instanceof OptionError && pattern.test(err.message));
  }
});

opts('storage options default to the queue\'s defaults; a bad one names the option and its range', () => {
  assert.equal(resolveOptions({}).storage, { completedRetention: { ms: 3_600_000, max: 500_000 }, deadRetentionMs: 604_800_000, dedupWindowMs: 86_400_000, maxStalls: 5, shards: 1, durability: 'async' });
  assert.equal(resolveOptions({ completedRetentionMs: 0, completedMax: 0, deadRetentionMs: 1, dedupWindowMs: 0, maxStalls: 0, shards: 1024, durability: 'replicated' }).storage,
    { completedRetention: { ms: 0, max: 0 }, deadRetentionMs: 1, dedupWindowMs: 0, maxStalls: 0, shards: 1024, durability: 'replicated' });
  const cases = [
    [{ completedRetentionMs: -1 }, 'completedRetentionMs', /`completedRetentionMs` to be an integer from 0 to 31536000000, got `-1` \(number\)/],
    [{ completedMax: 1.5 }, 'completedMax', /`completedMax` to be an integer from 0 to 1000000000/],
    [{ deadRetentionMs: 0 }, 'deadRetentionMs', /`deadRetentionMs` to be an integer from 1 to 31536000000/],
    [{ dedupWindowMs: '1h' }, 'dedupWindowMs', /`dedupWindowMs` to be an integer from 0 .*got `1h` \(string\)/],
    [{ maxStalls: 1001 }, 'maxStalls', /`maxStalls` to be an integer from 0 to 1000/],
    [{ shards: 0 }, 'shards', /^Expected `shards` to be an integer from 1 to 1024, got `0` \(number\)$/],
    [{ shards: 1025 }, 'shards', /`shards` to be an integer from 1 to 1024, got `1025`/],
    [{ shards: 2.5 }, 'shards', /`shards` to be an integer from 1 to 1024/],
    [{ durability: 'sync' }, 'durability', /^Expected `durability` to be one of async, replicated, got `sync` \(string\)$/],
    [{ durability: true }, 'durability', /`durability` to be one of async, replicated, got `true` \(boolean\)/],
  ];
  for (const [input, option, pattern] of cases) {
    assert.throws(() => resolveOptions(input), (err) => err instanceof OptionError && err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && pattern.test(err.message), JSON.stringify(input));
  }
});

opts('handler functions need processes: 0, and the error says why and what to do', () => {
  const handlers = { echo: async (task) => task.payload };
  assert.throws(() => createRuntime({ handlers, processes: 1, short: 1, long: 0 }), (err) =>
    err instanceof OptionError && err.option === 'handlers' && /functions cannot be sent to worker processes/.test(err.message) && /processes: 0/.test(err.message));
  assert.throws(() => createRuntime({ redis: { retryStrategy: () => 1 }, processes: 1, short: 1, long: 0 }), /no client, no functions/);
  assert.is(createRuntime({ handlers, processes: 0, logLevel: 'silent' }).state, 'idle');
});

opts('sweeps run every half lease, at most once a second', () => {
  assert.is(reapIntervalMs(30_000), 15_000);
  assert.is(reapIntervalMs(1000), 1000);
});

opts('each sweep also reaps the finished indexes, so they do not outlive retention when completions stop', async () => {
  const calls = [];
  const store = {
    requeueExpired: async () => { calls.push('requeueExpired'); return 0; },
    reap: async () => { calls.push('reap'); return { completed: 3, dead: 0 }; },
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
  const reaper = new ExpiredLeaseReaper(store, { everyMs: 5, log: silent });
  reaper.start();
  await new Promise((resolve) => setTimeout(resolve, 40));
  reaper.stop();
  assert.ok(calls.length >= 2, `${calls.length} calls`);
  assert.equal(calls.slice(0, 2), ['requeueExpired', 'reap']);
});

opts.run();
