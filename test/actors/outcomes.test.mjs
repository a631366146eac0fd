import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, NonRetryableError, UnknownTaskTypeError, ValidationError, TasklaneError } from '../../dist/index.js';
import { MemoryStore, deferred, until, nextEvent } from '../helpers/memory-store.mjs';

const test = suite('Actor outcomes');

function setup(handlers, options = {}) {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers, idleWaitMs: 50, ...options });
  return { store, actor };
}

/** Runs one task of `type` through `handler` and returns the first failure recorded. */
async function failureOf(handler) {
  const { store, actor } = setup({ job: handler });
  store.add({ type: 'job' });
  actor.start();
  await until(() => store.failures.length === 1, { what: 'a recorded failure' });
  await actor.stop();
  return store.failures[0];
}

test('completions that finish together are reported in one completeMany call', async () => {
  const gate = deferred();
  const { store, actor } = setup({ ok: async (task) => { await gate.promise; return { id: task.id }; } });
  const ids = store.add({}, {}, {}, {}, {});
  const completed = [];
  actor.on('task:completed', (lease, info) => completed.push([lease.id, info.durationMs]));
  actor.start();
  await until(() => actor.inFlight === 5);
  gate.resolve();
  await until(() => completed.length === 5, { what: 'five task:completed' });
  assert.is(store.count('completeMany'), 1);
  const [[entries]] = store.callsOf('completeMany');
  assert.equal(entries.map((e) => e.lease.id).sort(), [...ids].sort());
  assert.equal(store.completed.get(ids[0]), { id: ids[0] });
  assert.ok(completed.every(([, ms]) => typeof ms === 'number' && ms >= 0));
  await actor.stop();
});

test('a completion reported stale emits lease:lost and not task:completed', async () => {
  const { store, actor } = setup({ ok: async (task) => { store.lose(task.id); return 1; } });
  const [id] = store.add({});
  let completed = 0;
  actor.on('task:completed', () => (completed += 1));
  actor.start();
  const [lease] = await nextEvent(actor, 'lease:lost');
  assert.is(lease.id, id);
  assert.is(completed, 0);
  await actor.stop();
});

test('a NonRetryableError is recorded with retryable: false and emits task:dead', async () => {
  const { store, actor } = setup({ job: async () => { throw new NonRetryableError('bad payload'); } });
  store.add({ type: 'job' });
  actor.start();
  const [, error] = await nextEvent(actor, 'task:dead');
  assert.is(error.message, 'bad payload');
  assert.equal(store.failures[0].options, { retryable: false });
  await actor.stop();
});

test('any error with retryable === false dead-letters at once', async () => {
  const failure = await failureOf(async () => { throw Object.assign(new Error('422'), { retryable: false, retryAfterMs: 10 }); });
  assert.equal(failure.options, { retryable: false });
  assert.is(failure.outcome, 'dead');
});

test('retryAfterMs on the error becomes the retry delay', async () => {
  const { store, actor } = setup({ job: async () => { throw Object.assign(new Error('429'), { retryAfterMs: 1500 }); } });
  store.add({ type: 'job' });
  actor.start();
  const [, error, info] = await nextEvent(actor, 'task:retrying');
  assert.is(error.message, '429');
  assert.equal(info, { retryInMs: 1500 });
  assert.equal(store.failures[0].options, { retryInMs: 1500 });
  await actor.stop();
});

test('a plain error gets the default backoff', async () => {
  const { store, actor } = setup({ job: async () => { throw new Error('flaky'); } });
  store.add({ type: 'job' });
  actor.start();
  const [, , info] = await nextEvent(actor, 'task:retrying');
  assert.equal(info, {});
  assert.equal(store.failures[0].options, {});
  await actor.stop();
});

test('a non-Error throw is wrapped in an Error that keeps it as cause', async () => {
  const thrown = { code: 42 };
  const failure = await failureOf(async () => { throw thrown; });
  assert.instance(failure.error, TasklaneError);
  assert.is(failure.error.cause, thrown);
  assert.match(failure.error.message, '{"code":42}');
  const fromString = await failureOf(async () => { throw 'boom'; });
  assert.is(fromString.error.message, 'boom');
  assert.is(fromString.error.cause, 'boom');
});

test('a handler that throws synchronously fails the attempt like a rejection', async () => {
  const failure = await failureOf(() => { throw new Error('sync'); });
  assert.is(failure.error.message, 'sync');
  assert.is(failure.outcome, 'retrying');
});

test('an unknown task type is dead-lettered with UnknownTaskTypeError', async () => {
  const { store, actor } = setup({ ok: async () => 1 });
  store.add({ type: 'mystery' });
  actor.start();
  const [, error] = await nextEvent(actor, 'task:dead');
  assert.instance(error, UnknownTaskTypeError);
  assert.match(error.message, '`mystery`');
  assert.equal(store.failures[0].options, { retryable: false });
  await actor.stop();
});

test('a fail reported stale emits lease:lost', async () => {
  const { store, actor } = setup({ job: async (task) => { store.lose(task.id); throw new Error('x'); } });
  store.add({ type: 'job' });
  actor.start();
  await nextEvent(actor, 'lease:lost');
  assert.is(store.failures.length, 0);
  await actor.stop();
});

test('the handler gets its context: signal, attempt, fence, heartbeat, log', async () => {
  let seen;
  const { store, actor } = setup({ ok: async (task, ctx) => { seen = { task, ctx, alive: await ctx.heartbeat() }; } });
  store.add({});
  actor.start();
  await until(() => store.completed.size === 1);
  const { task, ctx, alive } = seen;
  assert.instance(ctx.signal, AbortSignal);
  assert.is(ctx.signal.aborted, false);
  assert.is(ctx.attempt, task.attempt);
  assert.is(ctx.fence, task.fence);
  assert.is(alive, true);
  assert.is(store.callsOf('heartbeat')[0][0], task);
  assert.type(ctx.log.info, 'function');
  await actor.stop();
});

test('an unstorable result fails alone: the rest of its batch still completes', async () => {
  const gate = deferred();
  const { store, actor } = setup({ ok: async (task) => { await gate.promise; return task.payload; } });
  store.hook('completeMany', (entries) => {
    if (entries.some((e) => e.result === 'huge')) throw new ValidationError('result', 'Expected `result` to be at most 10 bytes as JSON');
  });
  const [fine, huge] = store.add({ payload: 'fine' }, { payload: 'huge' });
  actor.start();
  await until(() => actor.inFlight === 2);
  gate.resolve();
  const [lease, error] = await nextEvent(actor, 'task:dead');
  assert.is(lease.id, huge);
  assert.instance(error, ValidationError);
  assert.equal(store.failures[0].options, { retryable: false });
  await until(() => store.completed.has(fine));
  await actor.stop();
});

test.run();
