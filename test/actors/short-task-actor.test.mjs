import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ShortTaskActor, TaskTimeoutError, OptionError } from '../../dist/index.js';
import { MemoryStore, sleep, until, nextEvent } from '../helpers/memory-store.mjs';

const test = suite('ShortTaskActor');

function setup(handlers, options = {}) {
  const store = new MemoryStore();
  const actor = new ShortTaskActor({ store, owner: 'w1', handlers, idleWaitMs: 50, ...options });
  return { store, actor };
}

test('the deadline aborts the signal and records a retryable timeout, even when the handler ignores the signal', async () => {
  let reason;
  const { store, actor } = setup({
    stuck: (task, ctx) => {
      ctx.signal.addEventListener('abort', () => (reason = ctx.signal.reason));
      return new Promise(() => {}); // never settles and never looks at the signal
    },
  });
  store.add({ type: 'stuck', timeoutMs: 50 });
  actor.start();
  const [, error] = await nextEvent(actor, 'task:retrying');
  assert.instance(error, TaskTimeoutError);
  assert.is(error.message, 'timed out after 50 ms');
  assert.is(reason, error, 'the signal fired with the same TaskTimeoutError');
  assert.equal(store.failures[0].options, {}, 'retryable, default backoff');
  assert.is(actor.inFlight, 0, 'the attempt settled at the deadline');
  await actor.stop();
});

test('a task without its own timeout gets defaultTimeoutMs', async () => {
  const { store, actor } = setup({ stuck: () => new Promise(() => {}) }, { defaultTimeoutMs: 60 });
  store.add({ type: 'stuck' });
  actor.start();
  const [, error] = await nextEvent(actor, 'task:retrying');
  assert.is(error.message, 'timed out after 60 ms');
  assert.is(error.timeoutMs, 60);
  await actor.stop();
});

test('a result that arrives after the deadline is discarded', async () => {
  const { store, actor } = setup({ slow: async () => { await sleep(150); return 'late'; } });
  const [id] = store.add({ type: 'slow', timeoutMs: 30 });
  actor.start();
  await nextEvent(actor, 'task:retrying');
  await sleep(300);
  assert.is(store.count('completeMany'), 0);
  assert.not.ok(store.completed.has(id));
  await actor.stop();
});

test('a handler that finishes in time completes normally, with no heartbeats', async () => {
  const { store, actor } = setup({ quick: async () => { await sleep(30); return 'ok'; } });
  const [id] = store.add({ type: 'quick', timeoutMs: 5000 });
  actor.start();
  await until(() => store.completed.has(id));
  assert.is(store.completed.get(id), 'ok');
  assert.is(store.count('heartbeat'), 0);
  await actor.stop();
});

test('the claimed lease covers the default deadline plus a margin', async () => {
  const { store, actor } = setup({}, { defaultTimeoutMs: 40_000 });
  actor.start();
  await until(() => store.count('claimBatch') >= 1);
  assert.is(store.callsOf('claimBatch')[0][1].leaseMs, 45_000);
  await actor.stop();
  const other = setup({}, { defaultTimeoutMs: 1000, leaseMs: 20_000 });
  other.actor.start();
  await until(() => other.store.count('claimBatch') >= 1);
  assert.is(other.store.callsOf('claimBatch')[0][1].leaseMs, 20_000);
  await other.actor.stop();
});

test('refuses the long lane', () => {
  assert.throws(() => new ShortTaskActor({ lane: 'long', store: new MemoryStore(), owner: 'w1', handlers: {} }),
    (err) => err instanceof OptionError && err.option === 'lane');
});

test.run();
