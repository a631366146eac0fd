import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from '../../dist/index.js';
import { MemoryStore, until } from '../helpers/memory-store.mjs';

const test = suite('Actor store errors');

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

function setup(handlers = { ok: async () => 'done' }, options = {}) {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers, idleWaitMs: 50, ...options });
  const errors = [];
  actor.on('actor:error', (err) => errors.push(err));
  return { store, actor, errors };
}

test('a failing claim emits actor:error, backs off, and recovers', async () => {
  // One claim loop, so that the three failures are one loop's consecutive attempts.
  const { store, actor, errors } = setup(undefined, { concurrency: 1 });
  store.failNext('claimBatch', new Error('ECONNREFUSED'), 3);
  const [id] = store.add({});
  actor.start();
  await until(() => store.completed.has(id), { what: 'completion after recovery' });
  assert.equal(errors.map((e) => e.message), ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
  const [t1, t2, t3, t4] = store.calls.filter((c) => c.method === 'claimBatch').map((c) => c.at);
  // Backoff of 100, 200, 400 ms between attempts (timers only fire late, never early).
  assert.ok(t2 - t1 >= 90 && t3 - t2 >= 190 && t4 - t3 >= 390, `gaps ${t2 - t1}, ${t3 - t2}, ${t4 - t3}`);
  await actor.stop();
});

test('a failing idle wait is treated like a failing claim', async () => {
  const { store, actor, errors } = setup();
  store.failNext('waitForWork', new Error('closed'), 1);
  actor.start();
  await until(() => errors.length === 1);
  const [id] = store.add({});
  await until(() => store.completed.has(id));
  await actor.stop();
});

test('a completion report that fails is retried', async () => {
  const { store, actor, errors } = setup();
  store.failNext('completeMany', new Error('EPIPE'), 2);
  const [id] = store.add({});
  let completed = 0;
  actor.on('task:completed', () => (completed += 1));
  actor.start();
  await until(() => completed === 1, { what: 'task:completed' });
  assert.is(store.completed.get(id), 'done');
  assert.is(store.count('completeMany'), 3);
  assert.is(errors.length, 2);
  await actor.stop();
});

test('a failure report that fails is retried', async () => {
  const { store, actor } = setup({ ok: async () => { throw new Error('nope'); } });
  store.failNext('fail', new Error('EPIPE'), 1);
  store.add({});
  actor.start();
  await until(() => store.failures.length === 1);
  assert.is(store.count('fail'), 2);
  await actor.stop();
});

test('a report that keeps failing is given up without crashing; the actor goes on', async () => {
  const { store, actor, errors } = setup();
  store.failNext('completeMany', new Error('down'), 5); // one try and four retries
  const [first] = store.add({});
  actor.start();
  await until(() => errors.length === 5, { what: 'five errors', timeoutMs: 10_000 });
  assert.not.ok(store.completed.has(first), 'left to the lease expiry');
  const [second] = store.add({});
  await until(() => store.completed.has(second));
  await actor.stop();
});

test('a listener that throws does not disturb the actor', async () => {
  const { store, actor } = setup();
  actor.on('task:started', () => { throw new Error('listener bug'); });
  const [id] = store.add({});
  actor.start();
  await until(() => store.completed.has(id));
  await actor.stop();
});

test('no unhandled rejections', () => {
  assert.equal(unhandled, []);
});

test.run();
