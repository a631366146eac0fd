import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from '../../dist/index.js';
import { deferred, MemoryStore, sleep, until } from '../helpers/memory-store.mjs';

const test = suite('Actor stuck handlers');

/** A handler that never looks at its signal; `release()` settles the calls running now. */
function ignoresSignal() {
  let gates = [];
  const handler = async () => {
    const gate = deferred();
    gates.push(gate);
    await gate.promise;
    return 'late';
  };
  const release = () => {
    for (const gate of gates.splice(0)) gate.resolve();
  };
  return { handler, release, running: () => gates.length };
}

function setup(handlers, options = {}) {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers, idleWaitMs: 20, concurrency: 2, defaultTimeoutMs: 50, wedgedAfterMs: 100, ...options });
  return { store, actor };
}

test('regression: a handler that ignores its deadline kept no slot, so concurrency had no bound', async () => {
  const stuck = ignoresSignal();
  const { store, actor } = setup({ stuck: stuck.handler, ok: async () => 'ok' });
  const [a, b] = store.add({ type: 'stuck' }, { type: 'stuck' });
  actor.start();
  // The outcome does not wait for the handler: both attempts fail as timeouts at the deadline.
  await until(() => store.failures.length === 2, { what: 'both deadlines' });
  assert.equal(store.failures.map((f) => f.lease.id).sort(), [a, b].sort());
  assert.ok(store.failures.every((f) => f.error.code === 'TASKLANE_ERR_TIMEOUT'), store.failures.map((f) => f.error.code).join());
  assert.is(actor.stuck, 2);
  assert.is(actor.inFlight, 0, 'the attempts are over');
  const [c] = store.add({ type: 'ok' });
  await sleep(200);
  assert.is(stuck.running(), 2);
  assert.not.ok(store.completed.has(c), 'nothing ran while both slots were held');
  assert.ok(store.waiting.short.some((t) => t.id === c), 'the new task was not even claimed');
  stuck.release();
  await until(() => store.completed.has(c), { what: 'the new task to run once the slots are free' });
  assert.is(actor.stuck, 0);
  await actor.stop();
});

test('one stuck handler holds one slot; the other slot keeps working', async () => {
  const stuck = ignoresSignal();
  const { store, actor } = setup({ stuck: stuck.handler, ok: async () => 'ok' });
  let wedged = 0;
  actor.on('actor:wedged', () => (wedged += 1));
  store.add({ type: 'stuck' });
  actor.start();
  await until(() => actor.stuck === 1, { what: 'one stuck handler' });
  const ids = store.add({ type: 'ok' }, { type: 'ok' }, { type: 'ok' });
  await until(() => ids.every((id) => store.completed.has(id)), { what: 'the ok tasks' });
  assert.is(wedged, 0, 'not wedged below its concurrency');
  stuck.release();
  await until(() => actor.stuck === 0);
  await actor.stop();
});

test('actor:wedged fires once when stuck handlers reach the concurrency, and again after a recovery', async () => {
  const stuck = ignoresSignal();
  const { store, actor } = setup({ stuck: stuck.handler });
  const events = [];
  actor.on('actor:wedged', (info) => events.push(info));
  store.add({ type: 'stuck' }, { type: 'stuck' });
  actor.start();
  await until(() => events.length === 1, { what: 'actor:wedged' });
  assert.equal(events[0], { stuck: 2, concurrency: 2 });
  await sleep(100);
  assert.is(events.length, 1, 'once per wedge');
  stuck.release();
  await until(() => actor.stuck === 0, { what: 'recovery' });
  store.add({ type: 'stuck' }, { type: 'stuck' });
  await until(() => events.length === 2, { what: 'the second wedge' });
  assert.equal(events[1], { stuck: 2, concurrency: 2 });
  await actor.stop({ drainTimeoutMs: 0 });
  stuck.release();
});

test('regression: a handler that honours its signal but cleans up asynchronously does not wedge the actor', async () => {
  // Aborted at its deadline, it lets go 30 ms later (a rollback in its finally): briefly
  // stuck, never for the wedge grace, so its worker must not be replaced.
  const polite = async (_task, ctx) => {
    try {
      await new Promise((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
    } finally {
      await sleep(30);
    }
  };
  const { store, actor } = setup({ polite }, { concurrency: 1 });
  const events = [];
  actor.on('actor:wedged', (info) => events.push(info));
  store.add({ type: 'polite' }, { type: 'polite' }, { type: 'polite' });
  actor.start();
  await until(() => store.failures.length === 3, { what: 'three deadlines' });
  await until(() => actor.stuck === 0, { what: 'the cleanups' });
  await sleep(200);
  assert.equal(events, [], 'no wedge for handlers that let go within the grace');
  await actor.stop();
});

test('stop does not wait for handlers that ignore their signal', async () => {
  const stuck = ignoresSignal();
  const { store, actor } = setup({ stuck: stuck.handler });
  store.add({ type: 'stuck' });
  actor.start();
  await until(() => actor.stuck === 1);
  const started = Date.now();
  const summary = await actor.stop({ drainTimeoutMs: 5000 });
  assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms`);
  assert.equal(summary, { unreported: [] });
  assert.is(actor.state, 'stopped');
  stuck.release();
});

test.run();
