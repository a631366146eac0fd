// Every task outcome leaves one log line, at its level, with its keys, each key once.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, NonRetryableError } from '../../dist/index.js';
import { ActorHost } from '../../dist/runtime/host.js';
import { uniqueKeys } from '../../dist/runtime/logger.js';
import { rawKeys, repeatedKeys } from '../helpers/json-keys.mjs';
import { MemoryStore, until } from '../helpers/memory-store.mjs';

const test = suite('Actor outcome log lines');

/** A pino logger like the worker's (base bindings included) whose raw lines land in `lines`. */
function capture(level, { base = { pid: 1, role: 'worker', worker: 'w0', owner: 'w1' }, hooks = {} } = {}) {
  const lines = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ level, base, hooks }, stream);
  const parsed = () => lines.map((raw) => ({ raw, line: JSON.parse(raw) }));
  return { log, lines, parsed, find: (msg) => parsed().filter(({ line }) => line.msg === msg) };
}

function assertUniqueKeys(raw) {
  assert.equal(repeatedKeys(raw), [], `keys repeated in ${raw}`);
}

/** A store that draws its backoff like TaskQueue.backoffFor does, with a fixed value. */
class BackoffStore extends MemoryStore {
  backoffFor(lease) {
    return 1000 * lease.attempt;
  }
}

async function runOne(handlers, task, { level = 'debug', store = new BackoffStore(), lane = 'short' } = {}) {
  const cap = capture(level);
  const actor = createActor({ lane, store, owner: 'w1', handlers, idleWaitMs: 50, log: cap.log });
  const [id] = store.add(task);
  const settled = new Promise((resolve) => {
    for (const event of ['task:completed', 'task:retrying', 'task:dead', 'lease:lost']) actor.on(event, () => resolve(event));
  });
  actor.start();
  await settled;
  await actor.stop();
  return { ...cap, id, store };
}

test('rawKeys sees a repeated key that JSON.parse hides', () => {
  assert.equal(rawKeys('{"a":1,"b":{"a":2,"c":[{"d":1}]},"s":"x\\",\\"a\\":","a":3}'), ['a', 'b', 's', 'a']);
});

test('a completion is logged at debug with its duration', async () => {
  const { find, id } = await runOne({ ok: async () => 42 }, { type: 'ok' });
  const [entry, ...more] = find('task completed');
  assert.is(more.length, 0);
  const { line, raw } = entry;
  assert.is(line.level, 20);
  assert.is(line.taskId, id);
  assert.is(line.type, 'ok');
  assert.is(line.lane, 'short');
  assert.is(line.owner, 'w1');
  assert.is(line.attempt, 1);
  assert.type(line.durationMs, 'number');
  assert.ok(line.durationMs >= 0);
  assertUniqueKeys(raw);
});

test('at info a completion is not logged, and its line is not even built', async () => {
  const { lines } = await runOne({ ok: async () => 42 }, { type: 'ok' }, { level: 'info' });
  assert.equal(lines.filter((raw) => raw.includes('task completed')), []);
  // A logger that reports debug disabled and fails the test if anything reaches debug().
  let debugCalls = 0;
  const spy = {
    debug: () => (debugCalls += 1), info() {}, warn() {}, error() {},
    child: () => spy, isLevelEnabled: (level) => level !== 'debug',
  };
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers: { ok: async () => 1 }, idleWaitMs: 50, log: spy });
  store.add({ type: 'ok' }, { type: 'ok' });
  actor.start();
  await until(() => store.completed.size === 2, { what: 'two completions' });
  await actor.stop();
  assert.is(debugCalls, 0);
});

test('a retry is logged at info with the delay that was scheduled and the reason', async () => {
  const { find, id, store } = await runOne({ job: async () => { throw Object.assign(new Error('upstream 502'), { code: 'E_UPSTREAM' }); } }, { type: 'job' });
  const [{ line, raw }] = find('task failed; will be retried');
  assert.is(line.level, 30);
  assert.is(line.taskId, id);
  assert.is(line.attempt, 1);
  assert.is(line.delayMs, 1000);
  assert.is(line.code, 'E_UPSTREAM');
  assert.is(line.reason, 'upstream 502');
  assert.is(line.lane, 'short');
  assert.not.ok('stack' in line, 'no stack trace on a retry line');
  // The store was asked for exactly the delay the line reports.
  assert.is(store.failures[0].options.retryInMs, 1000);
  assertUniqueKeys(raw);
});

test('a delay the error asks for is the one logged, and the store keeps its own backoff otherwise', async () => {
  const asked = await runOne({ job: async () => { throw Object.assign(new Error('429'), { retryAfterMs: 2500 }); } }, { type: 'job' });
  assert.is(asked.find('task failed; will be retried')[0].line.delayMs, 2500);
  // A store without backoffFor: the line has no delay rather than a wrong one.
  const plain = await runOne({ job: async () => { throw new Error('nope'); } }, { type: 'job' }, { store: new MemoryStore() });
  const [{ line }] = plain.find('task failed; will be retried');
  assert.not.ok('delayMs' in line);
  assert.equal(plain.store.failures[0].options, {});
});

test('a timeout is logged at info with its code', async () => {
  const handler = (_task, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  const { find, id } = await runOne({ slow: handler }, { type: 'slow', timeoutMs: 30 });
  const [{ line, raw }] = find('task timed out; will be retried');
  assert.is(line.level, 30);
  assert.is(line.taskId, id);
  assert.is(line.code, 'TASKLANE_ERR_TIMEOUT');
  assert.is(line.reason, 'timed out after 30 ms');
  assert.is(line.delayMs, 1000);
  assertUniqueKeys(raw);
});

test('a dead letter is logged at warn with type, lane, attempts, code and message', async () => {
  const { find, id } = await runOne({ job: async () => { throw new NonRetryableError('bad payload'); } }, { type: 'job' });
  const [{ line, raw }] = find('task dead-lettered');
  assert.is(line.level, 40);
  assert.is(line.taskId, id);
  assert.is(line.type, 'job');
  assert.is(line.lane, 'short');
  assert.is(line.attempt, 1);
  assert.is(line.maxAttempts, 5);
  assert.is(line.code, 'TASKLANE_ERR_NON_RETRYABLE');
  assert.is(line.reason, 'bad payload');
  assertUniqueKeys(raw);
});

test('out of attempts: dead-lettered at warn with the last error', async () => {
  const store = new BackoffStore();
  const { find } = await runOne({ job: async () => { throw new Error('still down'); } }, { type: 'job', maxAttempts: 1 }, { store });
  const [{ line }] = find('task dead-lettered');
  assert.is(line.level, 40);
  assert.is(line.attempt, 1);
  assert.is(line.maxAttempts, 1);
  assert.is(line.code, 'Error');
  assert.is(line.reason, 'still down');
});

test('an unknown task type is logged at warn', async () => {
  const { parsed, id } = await runOne({ ok: async () => 1 }, { type: 'nope' });
  const lines = parsed().filter(({ line }) => line.taskId === id && line.code === 'TASKLANE_ERR_UNKNOWN_TYPE');
  assert.is(lines.length, 1);
  assert.is(lines[0].line.level, 40);
  assert.match(lines[0].line.msg, /^unknown task type/);
  assert.is(lines[0].line.type, 'nope');
  assertUniqueKeys(lines[0].raw);
});

test('a lost lease is logged at info', async () => {
  const store = new BackoffStore();
  const { find, id } = await runOne({ ok: async (task) => { store.lose(task.id); return 1; } }, { type: 'ok' }, { store });
  const [{ line }] = find('lease lost; the outcome was discarded and the task is requeued');
  assert.is(line.level, 30);
  assert.is(line.taskId, id);
});

/** A host like a worker's: base (owner) → host (lane, actor) → actor (lane, owner) → ctx.log (taskId, type, attempt). */
async function hostRun(cap, handler) {
  const store = new BackoffStore();
  const host = new ActorHost({
    store, owner: 'w1', lanes: { short: 1, long: 0 }, concurrency: 2, leaseMs: 30_000, taskTimeoutMs: 30_000, log: cap.log,
    handlers: { talk: handler },
  });
  const [id] = store.add({ type: 'talk' });
  host.start();
  await until(() => cap.find('task completed').length === 1, { what: 'the completion line' });
  await host.stop(1000);
  return id;
}

test('regression: ctx.log lines repeated lane, owner and attempt (child bindings bound twice)', async () => {
  const cap = capture('debug');
  const id = await hostRun(cap, async (_task, ctx) => {
    ctx.log.info({ step: 'one' }, 'handler says hi');
    return 1;
  });
  const [{ line, raw }] = cap.find('handler says hi');
  assertUniqueKeys(raw);
  assert.equal(
    { taskId: line.taskId, type: line.type, attempt: line.attempt, lane: line.lane, owner: line.owner, actor: line.actor, worker: line.worker, step: line.step },
    { taskId: id, type: 'talk', attempt: 1, lane: 'short', owner: 'w1', actor: 0, worker: 'w0', step: 'one' },
  );
  for (const raw of cap.lines) assertUniqueKeys(raw);
});

test('the runtime logger keeps keys unique even when a handler rebinds or repeats one', async () => {
  const cap = capture('debug', { hooks: { streamWrite: uniqueKeys } });
  await hostRun(cap, async (task, ctx) => {
    ctx.log.child({ lane: 'short', attempt: ctx.attempt, extra: 1 }).info({}, 'nested child');
    ctx.log.info({ taskId: task.id, owner: 'me' }, 'repeats a key');
    return 1;
  });
  const [nested] = cap.find('nested child');
  assertUniqueKeys(nested.raw);
  assert.is(nested.line.extra, 1);
  const [repeats] = cap.find('repeats a key');
  assertUniqueKeys(repeats.raw);
  assert.is(repeats.line.owner, 'me', 'the most specific value wins');
  for (const raw of cap.lines) assertUniqueKeys(raw);
});

test('uniqueKeys: first position, last value; a line it cannot parse passes unchanged', () => {
  assert.is(uniqueKeys('{"a":1,"b":2,"a":3}\n'), '{"a":3,"b":2}\n');
  assert.is(uniqueKeys('not json\n'), 'not json\n');
});

test('a logger without bindings() still gets every binding', async () => {
  const made = [];
  const make = (bindings) => {
    made.push(bindings);
    return { debug() {}, info() {}, warn() {}, error() {}, child: (more) => make({ ...bindings, ...more }) };
  };
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w9', handlers: { ok: async (_t, ctx) => { ctx.log.info({}, 'hi'); return 1; } }, idleWaitMs: 50, log: make({}) });
  store.add({ type: 'ok' });
  actor.start();
  await until(() => store.completed.size === 1, { what: 'a completion' });
  await actor.stop();
  assert.ok(made.some((b) => b.lane === 'short' && b.owner === 'w9' && b.type === 'ok' && b.attempt === 1), 'ctx.log has every binding');
});

test.run();
