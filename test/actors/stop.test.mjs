import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, ActorStoppedError, OptionError } from '../../dist/index.js';
import { MemoryStore, sleep, until } from '../helpers/memory-store.mjs';

const test = suite('Actor stop');

function setup(handlers, options = {}) {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers, idleWaitMs: 50, ...options });
  return { store, actor };
}

test('drains: in-flight tasks finish and are recorded before stop resolves; nothing new is claimed', async () => {
  const { store, actor } = setup({ ok: async () => { await sleep(100); return 'done'; } });
  const [a, b] = store.add({}, {});
  actor.start();
  await until(() => actor.inFlight === 2);
  const stopping = actor.stop({ drainTimeoutMs: 5000 });
  assert.is(actor.state, 'draining');
  const [late] = store.add({});
  await stopping;
  assert.is(actor.state, 'stopped');
  assert.is(store.completed.get(a), 'done');
  assert.is(store.completed.get(b), 'done');
  assert.is(store.count('release'), 0);
  assert.ok(store.waiting.short.some((t) => t.id === late), 'the task added during the drain was not claimed');
});

test('after drainTimeoutMs the rest is aborted and released without counting an attempt', async () => {
  let reason;
  const { store, actor } = setup({
    stuck: (task, ctx) => {
      ctx.signal.addEventListener('abort', () => (reason = ctx.signal.reason));
      return new Promise(() => {}); // ignores the signal
    },
    quick: async () => 'q',
  }, { defaultTimeoutMs: 60_000 });
  const [stuck, quick] = store.add({ type: 'stuck' }, { type: 'quick' });
  actor.start();
  await until(() => store.completed.has(quick));
  await actor.stop({ drainTimeoutMs: 50 });
  assert.is(actor.state, 'stopped');
  assert.is(actor.inFlight, 0);
  assert.is(reason?.name, 'AbortError');
  assert.equal(store.released, [stuck]);
  assert.is(store.failures.length, 0);
  const requeued = store.waiting.short.find((t) => t.id === stuck);
  assert.is(requeued.attempts, 0, 'the released attempt is not counted');
});

test('no store call follows the end of stop, even from a handler that ignored the abort', async () => {
  const { store, actor } = setup({ slow: async () => { await sleep(150); return 'late'; } }, { defaultTimeoutMs: 60_000 });
  store.add({ type: 'slow' });
  actor.start();
  await until(() => actor.inFlight === 1);
  await actor.stop({ drainTimeoutMs: 20 });
  const calls = store.calls.length;
  await sleep(300);
  assert.is(store.calls.length, calls, `calls after stop: ${store.calls.slice(calls).map((c) => c.method)}`);
  assert.is(store.count('completeMany'), 0);
});

test('stop cuts an idle wait short', async () => {
  const { store, actor } = setup({}, { idleWaitMs: 60_000 });
  actor.start();
  await until(() => store.count('waitForWork') >= 1);
  let stopped = false;
  void actor.stop().then(() => (stopped = true));
  // Without the abort, stop would wait out the minute-long idle wait.
  await until(() => stopped, { what: 'stop to resolve' });
  assert.is(actor.state, 'stopped');
});

test('leases claimed while stop begins are released untouched', async () => {
  let ran = 0;
  const { store, actor } = setup({ ok: async () => (ran += 1) });
  store.hook('claimBatch', () => sleep(80));
  const [id] = store.add({});
  actor.start();
  await until(() => store.count('claimBatch') >= 1);
  await actor.stop();
  assert.is(ran, 0);
  // Both loops' claims were on the wire: the second may take the task the first gave back, and gives it back too.
  assert.ok(store.released.length >= 1 && store.released.every((released) => released === id), `released: ${store.released}`);
  assert.equal(store.waiting.short.map((task) => task.id), [id], 'the task is waiting again');
  assert.is(store.active.size, 0);
});

test('stop before start, twice, and start after stop', async () => {
  const { store, actor } = setup({});
  assert.is(actor.state, 'idle');
  const first = actor.stop();
  assert.is(actor.stop(), first, 'a second stop returns the same promise');
  await first;
  assert.is(actor.state, 'stopped');
  assert.is(store.calls.length, 0);
  assert.throws(() => actor.start(), (err) => err instanceof ActorStoppedError);
});

test('stop rejects a bad drainTimeoutMs', async () => {
  const { actor } = setup({});
  try {
    await actor.stop({ drainTimeoutMs: -1 });
    assert.unreachable('should reject');
  } catch (err) {
    assert.instance(err, OptionError);
    assert.is(err.message, 'Expected `drainTimeoutMs` to be an integer from 0 and up, got `-1` (number)');
  }
  await actor.stop();
});

test.run();
