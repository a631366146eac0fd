import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LongTaskActor, LeaseLostError, OptionError } from '../../dist/index.js';
import { MemoryStore, sleep, until, nextEvent } from '../helpers/memory-store.mjs';

const test = suite('LongTaskActor');

function setup(handlers, options = {}) {
  const store = new MemoryStore();
  const actor = new LongTaskActor({ store, owner: 'w1', handlers, idleWaitMs: 50, leaseMs: 300, heartbeatEveryMs: 30, ...options });
  return { store, actor };
}

test('renews the lease every heartbeatEveryMs while the handler runs, and stops after', async () => {
  const { store, actor } = setup({ render: async () => { await sleep(250); return 'frames'; } });
  const [id] = store.add({ type: 'render', lane: 'long' });
  actor.start();
  await until(() => store.completed.has(id), { what: 'completion' });
  const beats = store.callsOf('heartbeat');
  assert.ok(beats.length >= 3, `heartbeats: ${beats.length}`);
  assert.ok(beats.every(([lease]) => lease.id === id));
  await sleep(150);
  assert.is(store.count('heartbeat'), beats.length, 'no heartbeat after the task settled');
  await actor.stop();
});

test('a lost lease aborts the handler, emits lease:lost and discards its result', async () => {
  let reason;
  const { store, actor } = setup({
    render: async (task, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      reason = ctx.signal.reason;
      return 'should be discarded';
    },
  });
  let beats = 0;
  store.heartbeatVerdict = () => (beats += 1) < 2; // the second renewal finds the lease gone
  const [id] = store.add({ type: 'render', lane: 'long' });
  actor.start();
  const [lease] = await nextEvent(actor, 'lease:lost');
  assert.is(lease.id, id);
  await until(() => reason !== undefined);
  assert.instance(reason, LeaseLostError);
  await sleep(100);
  assert.is(store.count('completeMany'), 0);
  assert.is(store.count('fail'), 0);
  assert.is(store.count('heartbeat'), 2, 'renewals stop once the lease is lost');
  await actor.stop();
});

test('a heartbeat that errors is not a lost lease: it is reported and retried', async () => {
  let aborted = false;
  const { store, actor } = setup({
    render: async (task, ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      await sleep(250);
      return 'ok';
    },
  });
  store.failNext('heartbeat', new Error('ECONNRESET'), 2);
  const errors = [];
  actor.on('actor:error', (err) => errors.push(err.message));
  const [id] = store.add({ type: 'render', lane: 'long' });
  actor.start();
  await until(() => store.completed.has(id), { what: 'completion' });
  assert.equal(errors, ['ECONNRESET', 'ECONNRESET']);
  assert.ok(store.count('heartbeat') >= 3, 'renewals went on after the errors');
  assert.is(aborted, false);
  await actor.stop();
});

test('ctx.heartbeat() returning false ends the attempt as lost', async () => {
  let seen;
  const { store, actor } = setup({
    render: async (task, ctx) => {
      store.lose(task.id);
      const alive = await ctx.heartbeat();
      seen = { alive, aborted: ctx.signal.aborted, reason: ctx.signal.reason };
      return 'discarded';
    },
  }, { heartbeatEveryMs: 200 });
  store.add({ type: 'render', lane: 'long' });
  actor.start();
  await nextEvent(actor, 'lease:lost');
  await sleep(50);
  assert.equal({ alive: seen.alive, aborted: seen.aborted }, { alive: false, aborted: true });
  assert.instance(seen.reason, LeaseLostError);
  assert.is(store.count('completeMany'), 0);
  assert.is(store.count('fail'), 0);
  await actor.stop();
});

test('has no deadline: a task timeout does not apply on the long lane', async () => {
  const { store, actor } = setup({ render: async () => { await sleep(120); return 'done'; } });
  const [id] = store.add({ type: 'render', lane: 'long', timeoutMs: 20 });
  actor.start();
  await until(() => store.completed.has(id));
  assert.is(store.count('fail'), 0);
  await actor.stop();
});

test('heartbeatEveryMs defaults to a third of leaseMs', async () => {
  const { store, actor } = setup({ render: async () => { await sleep(200); } }, { leaseMs: 150, heartbeatEveryMs: undefined });
  const [id] = store.add({ type: 'render', lane: 'long' });
  actor.start();
  await until(() => store.completed.has(id));
  // Every 50 ms over 200 ms: about 3 renewals; none at all would mean no default.
  assert.ok(store.count('heartbeat') >= 2, `heartbeats: ${store.count('heartbeat')}`);
  await actor.stop();
});

test('refuses the short lane', () => {
  assert.throws(() => new LongTaskActor({ lane: 'short', store: new MemoryStore(), owner: 'w1', handlers: {} }),
    (err) => err instanceof OptionError && err.option === 'lane');
});

test.run();
