import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from '../../dist/index.js';
import { MemoryStore, deferred, sleep, until, nextEvent } from '../helpers/memory-store.mjs';

const test = suite('Actor claim loop');

function setup({ handlers = { ok: async () => 'done' }, ...options } = {}) {
  const store = new MemoryStore();
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers, idleWaitMs: 50, ...options });
  return { store, actor };
}

test('claims only up to its free capacity, and claims again as soon as a slot frees', async () => {
  const gates = [];
  const { store, actor } = setup({
    concurrency: 3,
    idleWaitMs: 60_000, // a re-claim that waited for the idle timeout would never show up in this test
    handlers: { ok: () => { const gate = deferred(); gates.push(gate); return gate.promise; } },
  });
  store.add(...Array.from({ length: 5 }, () => ({})));
  actor.start();
  await until(() => actor.inFlight === 3, { what: '3 in flight' });
  // Two loops share the three slots: one claims two, the other the one left.
  assert.equal(store.callsOf('claimBatch').map(([, { max }]) => max), [2, 1]);
  assert.is(store.waiting.short.length, 2, 'two tasks left unclaimed');

  gates[0].resolve('r0');
  await until(() => store.count('claimBatch') >= 3, { what: 'a third claim' });
  assert.is(store.callsOf('claimBatch')[2][1].max, 1, 'the next claim asks for the one free slot');
  await until(() => actor.inFlight === 3, { what: 'the slot refilled' });

  const releaseAll = setInterval(() => gates.forEach((gate, i) => gate.resolve(`r${i}`)), 5);
  await until(() => store.completed.size === 5, { what: 'all five completed' });
  clearInterval(releaseAll);
  assert.ok(store.callsOf('claimBatch').every(([, { max }]) => max >= 1 && max <= 3));
  await actor.stop();
});

test('never runs more handlers at once than `concurrency`', async () => {
  let running = 0;
  let peak = 0;
  const { store, actor } = setup({
    concurrency: 2,
    handlers: { ok: async () => { running += 1; peak = Math.max(peak, running); await sleep(20); running -= 1; } },
  });
  store.add(...Array.from({ length: 6 }, () => ({})));
  actor.start();
  await until(() => store.completed.size === 6, { what: 'six completions' });
  assert.is(peak, 2);
  await actor.stop();
});

test('an idle actor waits on waitForWork instead of polling', async () => {
  const { store, actor } = setup({ idleWaitMs: 200 });
  let idles = 0;
  actor.on('actor:idle', () => (idles += 1));
  actor.start();
  await sleep(700);
  const claims = store.count('claimBatch');
  // About one claim per idleWaitMs (~4 here); a polling loop would make hundreds.
  assert.ok(claims >= 2 && claims <= 8, `claims while idle: ${claims}`);
  const waits = store.callsOf('waitForWork');
  assert.ok(waits.length >= 2);
  assert.equal(waits[0], ['short', { since: 0, timeoutMs: 200 }]);
  assert.is(idles, 1, 'actor:idle is emitted once per idle spell');
  await actor.stop();
});

test('the idle wait is cut to the next delayed task due time', async () => {
  const { store, actor } = setup({ idleWaitMs: 60_000 });
  store.nextDueInMs = 30;
  actor.start();
  await until(() => store.count('waitForWork') >= 1);
  assert.is(store.callsOf('waitForWork')[0][1].timeoutMs, 30);
  await actor.stop();
});

test('a wake-up while idle makes it claim at once', async () => {
  const { store, actor } = setup({ idleWaitMs: 60_000 });
  actor.start();
  await nextEvent(actor, 'actor:idle');
  await until(() => store.count('waitForWork') === 1, { what: 'the first loop asleep' });
  const [id] = store.add({});
  await until(() => store.completed.has(id), { what: 'the woken task completed' });
  // Both loops claimed once at start; the wake-up made one claim, not two (the second loop
  // sleeps until the lane is busy again), and nothing waited out the minute.
  assert.is(store.count('claimBatch'), 3);
  await actor.stop();
});

test('the second loop joins again once the first claims a full batch', async () => {
  const gates = [];
  const { store, actor } = setup({
    concurrency: 4,
    idleWaitMs: 60_000,
    handlers: { ok: () => { const gate = deferred(); gates.push(gate); return gate.promise; } },
  });
  actor.start();
  await nextEvent(actor, 'actor:idle');
  assert.is(store.count('claimBatch'), 2, 'one claim per loop at start');
  store.add(...Array.from({ length: 4 }, () => ({})));
  // The first loop's claim takes 2 (a full batch of its half), which wakes the second.
  await until(() => actor.inFlight === 4, { what: 'all four slots filled by both loops' });
  assert.equal(store.callsOf('claimBatch').slice(2).map(([, { max }]) => max), [2, 2]);
  gates.forEach((gate) => gate.resolve('ok'));
  await until(() => store.completed.size === 4);
  await actor.stop();
});

test('two claims overlap: the second batch is claimed while the first is still running', async () => {
  const gates = [];
  const { store, actor } = setup({
    concurrency: 4,
    idleWaitMs: 60_000,
    handlers: { ok: () => { const gate = deferred(); gates.push(gate); return gate.promise; } },
  });
  const release = deferred();
  let claimsOnWire = 0;
  let peakOnWire = 0;
  const claim = store.claimBatch.bind(store);
  store.claimBatch = async (...args) => {
    claimsOnWire += 1;
    peakOnWire = Math.max(peakOnWire, claimsOnWire);
    await release.promise;
    claimsOnWire -= 1;
    return claim(...args);
  };
  store.add(...Array.from({ length: 4 }, () => ({})));
  actor.start();
  await until(() => claimsOnWire === 2, { what: 'two claims on the wire' });
  release.resolve();
  await until(() => actor.inFlight === 4, { what: 'all four slots filled' });
  assert.is(peakOnWire, 2);
  assert.equal(store.callsOf('claimBatch').map(([, { max }]) => max), [2, 2]);
  gates.forEach((gate) => gate.resolve('ok'));
  await until(() => store.completed.size === 4);
  await actor.stop();
});

test('concurrency 1 runs a single claim loop', async () => {
  const { store, actor } = setup({ concurrency: 1, idleWaitMs: 60_000 });
  actor.start();
  await nextEvent(actor, 'actor:idle');
  await sleep(30);
  assert.is(store.count('claimBatch'), 1);
  assert.is(store.count('waitForWork'), 1);
  await actor.stop();
});

test('lost wake-up race: work that arrives during a claim is claimed without waiting out idleWaitMs', async () => {
  const { store, actor } = setup({ idleWaitMs: 60_000 });
  const claim = store.claimBatch.bind(store);
  let lateId;
  store.claimBatch = async (...args) => {
    const batch = await claim(...args);
    // The enqueue (and its wake-up) lands after the claim saw an empty lane but before the actor waits.
    if (lateId === undefined) [lateId] = store.add({});
    return batch;
  };
  actor.start();
  await until(() => store.completed.has(lateId), { what: 'the late task completed' });
  const [, { since }] = store.callsOf('waitForWork')[0];
  assert.is(since, 0, 'the wait used the generation read before the claim');
  await actor.stop();
});

test('actor:idle comes again after a busy spell ends', async () => {
  const { store, actor } = setup({ idleWaitMs: 30 });
  let idles = 0;
  actor.on('actor:idle', () => (idles += 1));
  actor.start();
  await until(() => idles === 1);
  store.add({}, {});
  await until(() => store.completed.size === 2);
  await until(() => idles === 2, { what: 'a second idle' });
  await actor.stop();
});

test('regression: actor:idle is not emitted while a claim that brings work is still on the wire', async () => {
  const { store, actor } = setup({ concurrency: 2, idleWaitMs: 60_000 });
  const events = [];
  actor.on('actor:idle', () => events.push('idle'));
  actor.on('task:completed', (lease) => events.push(`completed ${lease.id}`));
  let calls = 0;
  let lateId;
  store.hook('claimBatch', async () => {
    calls += 1;
    if (calls <= 2) return;
    // Later claims are slow, and the first of them finds a task enqueued meanwhile.
    if (lateId === undefined) [lateId] = store.add({});
    await sleep(50);
  });
  const [first] = store.add({});
  actor.start();
  await until(() => lateId !== undefined && store.completed.has(lateId), { what: 'the late task completed' });
  assert.ok(store.completed.has(first));
  const idleAt = events.indexOf('idle');
  assert.ok(idleAt === -1 || idleAt > events.indexOf(`completed ${lateId}`), `events: ${events.join(', ')}`);
  await actor.stop();
});

test.run();
