// A task whose type no handler here knows is parked (released with a delay, uncounted)
// until the unknown-type grace since its creation is over, then dead-lettered.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, UnknownTaskTypeError } from '../../dist/index.js';
import { parkDelayMs } from '../../dist/actors/park.js';
import { MemoryStore, until, nextEvent } from '../helpers/memory-store.mjs';

const test = suite('Actor parking of unknown task types');

function setup(options = {}) {
  const store = new MemoryStore();
  const warnings = [];
  const log = { debug() {}, info() {}, warn: (obj, msg) => warnings.push({ ...obj, msg }), error() {}, child() { return log; } };
  const actor = createActor({ lane: 'short', store, owner: 'w1', handlers: { ok: async () => 1 }, idleWaitMs: 50, log, ...options });
  return { store, actor, warnings };
}

test('parkDelayMs grows with the age from 1 s, caps at a minute, and never outruns the grace', () => {
  const grace = 15 * 60_000;
  assert.is(parkDelayMs({ createdAt: 1000, claimedAt: 1000 }, grace), 1000);
  assert.is(parkDelayMs({ createdAt: 0, claimedAt: 8000 }, grace), 8000, 'about doubles per park');
  assert.is(parkDelayMs({ createdAt: 0, claimedAt: 600_000 }, grace), 60_000);
  assert.is(parkDelayMs({ createdAt: 0, claimedAt: grace - 500 }, grace), 500, 'the last park ends with the grace');
  assert.is(parkDelayMs({ createdAt: 0, claimedAt: grace }, grace), null, 'grace over: dead-letter');
  assert.is(parkDelayMs({ createdAt: 0, claimedAt: 5 }, 0), null, 'no grace: dead-letter at once');
});

test('within the grace: released with a delay, attempt uncounted, task:parked and a warning naming the type', async () => {
  const { store, actor, warnings } = setup({ unknownTypeGraceMs: 60_000 });
  const [id] = store.add({ type: 'resize-v2' });
  actor.start();
  const [lease, error, info] = await nextEvent(actor, 'task:parked');
  assert.is(lease.id, id);
  assert.instance(error, UnknownTaskTypeError);
  assert.is(error.code, 'TASKLANE_ERR_UNKNOWN_TYPE');
  assert.is(info.retryInMs, 1000);
  assert.equal(store.parked, [{ id, delayMs: 1000 }]);
  assert.is(store.failures.length, 0, 'not failed, so no attempt is spent');
  const warning = warnings.find((w) => w.type === 'resize-v2');
  assert.ok(warning, 'a warn log names the type');
  assert.match(warning.msg, /no handler here for task type `resize-v2`; parked for 1000 ms/);
  await actor.stop();
});

test('past the grace since creation: dead-lettered with TASKLANE_ERR_UNKNOWN_TYPE saying how long it waited', async () => {
  const { store, actor } = setup({ unknownTypeGraceMs: 5000 });
  store.add({ type: 'resize-v2', createdAt: Date.now() - 6000 });
  actor.start();
  const [, error] = await nextEvent(actor, 'task:dead');
  assert.is(error.code, 'TASKLANE_ERR_UNKNOWN_TYPE');
  assert.match(error.message, /`resize-v2` after parking it for 5000 ms/);
  assert.match(error.message, /registered types: `ok`/);
  assert.equal(store.failures[0].options, { retryable: false });
  assert.equal(store.parked, []);
  await actor.stop();
});

test('a park whose lease was lost meanwhile reports lease:lost, not parked', async () => {
  const { store, actor } = setup({ unknownTypeGraceMs: 60_000 });
  const [id] = store.add({ type: 'mystery' });
  store.hook('release', () => store.lose(id));
  let parked = 0;
  actor.on('task:parked', () => { parked += 1; });
  actor.start();
  const [lease] = await nextEvent(actor, 'lease:lost');
  assert.is(lease.id, id);
  assert.is(parked, 0);
  await actor.stop();
});

test.run();
