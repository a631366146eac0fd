// Sharding by id, and the ClaimRouter's choice of shard: pure units, no Redis.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClaimRouter, EMPTY_RECHECK_MS } from '../../dist/infra/claim-router.js';
import { groupByShard, shardKeys, shardOf } from '../../dist/infra/shards.js';
import { QueueKeys } from '../../dist/index.js';

const hashing = suite('shardOf and shard keys');

hashing('is FNV-1a (32 bit) of the UTF-8 id, modulo the count: stored layout, so pinned to the published function', () => {
  // FNV-1a test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968; 1024 takes their low 10 bits.
  assert.is(shardOf('a', 1024), 0xe40c292c % 1024);
  assert.is(shardOf('foobar', 1024), 0xbf9cf968 % 1024);
  assert.is(shardOf('a', 12), 0xe40c292c % 12);
  assert.is(shardOf('anything', 1), 0);
  // UTF-8 bytes, not UTF-16 units: 'é' is c3 a9.
  let hash = 0x811c9dc5;
  for (const byte of [0xc3, 0xa9]) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  assert.is(shardOf('é', 1000), hash % 1000);
});

hashing('spreads ids evenly enough: 12,000 ids over 12 shards, each within ±10% of 1,000', () => {
  const counts = new Array(12).fill(0);
  for (let i = 0; i < 12_000; i++) counts[shardOf(`task-${i}`, 12)] += 1;
  for (const n of counts) assert.ok(n > 900 && n < 1100, `a shard holds ${n}`);
});

hashing('shard 0 keeps the unsharded key names; shard i has its own hash tag', () => {
  const keys = shardKeys('emails', 'tl', 3);
  assert.equal(keys.map((k) => k.prefix), ['tl:{emails}:', 'tl:{emails~1}:', 'tl:{emails~2}:']);
  assert.equal(keys.map((k) => k.shard), [0, 1, 2]);
  assert.is(new QueueKeys('emails').waiting('short'), keys[0].waiting('short'));
});

hashing('a queue name ending in ~ and digits is refused: it would share keys with a shard', () => {
  assert.throws(() => new QueueKeys('emails~3'), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && /~/.test(err.message));
  assert.not.throws(() => new QueueKeys('emails~x'));
  assert.not.throws(() => new QueueKeys('a~3b'));
});

hashing('groupByShard keeps input order within a shard, with each item\'s input index', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `x${i}`);
  const groups = groupByShard(ids, (id) => id, 4);
  const seen = [];
  for (const [shard, group] of groups) {
    for (const [index, id] of group) {
      assert.is(shardOf(id, 4), shard);
      assert.is(ids[index], id);
      seen.push(index);
    }
    const indexes = group.map(([index]) => index);
    assert.equal(indexes, [...indexes].sort((a, b) => a - b));
  }
  assert.equal(seen.sort((a, b) => a - b), ids.map((_, i) => i));
});

hashing.run();

const routing = suite('ClaimRouter');

function router(count, clock = { now: 1_000 }) {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return { r: new ClaimRouter(count, { random, now: () => clock.now }), clock };
}

routing('shards not known yet come first; then by known head; an empty one is skipped once the queue listens', () => {
  const { r } = router(3);
  r.listening();
  assert.is(r.order('short').length, 3, 'nothing known: every shard, in some order');
  const [a, b, c] = r.order('short');
  r.record('short', a, { head: 5, nextDueInMs: null });
  r.record('short', b, { head: null, nextDueInMs: null });
  assert.equal(r.order('short').map((t) => t.shard), [c.shard, a.shard], 'unknown first, then head 5; the empty one left out');
  r.record('short', c, { head: 2, nextDueInMs: null });
  assert.equal(r.order('short').map((t) => t.shard), [c.shard, a.shard]);
  assert.equal(r.order('long').length, 3, 'lanes are known apart');
});

routing('without wake-ups (not listening) a shard seen empty is still tried', () => {
  const { r } = router(2);
  const [a] = r.order('short');
  r.record('short', a, { head: null, nextDueInMs: null });
  assert.is(r.order('short').length, 2);
});

routing('the bound is the best known head elsewhere; with a shard not known, the claim is also held to its own head', () => {
  const { r } = router(3);
  r.listening();
  const [a, b, c] = r.order('short');
  assert.equal(r.bound('short', a.shard), { priority: null, ownHead: true });
  r.record('short', b, { head: 4, nextDueInMs: null });
  assert.equal(r.bound('short', a.shard), { priority: 4, ownHead: true });
  r.record('short', c, { head: 1, nextDueInMs: null });
  assert.equal(r.bound('short', a.shard), { priority: 1, ownHead: false });
  r.record('short', a, { head: 0, nextDueInMs: null });
  assert.equal(r.bound('short', c.shard), { priority: 0, ownHead: false });
  r.record('short', b, { head: null, nextDueInMs: null });
  assert.equal(r.bound('short', a.shard), { priority: 1, ownHead: false }, 'an empty shard sets no bound');
});

routing('a wake-up makes a shard seen empty worth a claim again, but does not unlearn a known head', () => {
  const { r } = router(2);
  r.listening();
  const [a, b] = r.order('short');
  r.record('short', a, { head: null, nextDueInMs: null });
  r.record('short', b, { head: 7, nextDueInMs: null });
  assert.equal(r.order('short').map((t) => t.shard), [b.shard]);
  r.wake(a.shard, 'short');
  r.wake(b.shard, 'short');
  assert.equal(r.order('short').map((t) => t.shard), [a.shard, b.shard], 'a is unknown again (first); b keeps head 7');
  r.wake(b.shard, 'long');
  assert.equal(r.bound('short', a.shard).priority, 7, 'a wake-up of the other lane changes nothing here');
});

routing('a claim that found its shard empty while a wake-up came from it does not mark it empty', () => {
  const { r } = router(2);
  r.listening();
  const [a] = r.order('short');
  r.wake(a.shard, 'short');
  r.record('short', a, { head: null, nextDueInMs: null });
  assert.ok(r.order('short').some((t) => t.shard === a.shard));
  const [again] = r.order('short').filter((t) => t.shard === a.shard);
  r.record('short', again, { head: null, nextDueInMs: null });
  assert.not.ok(r.order('short').some((t) => t.shard === a.shard), 'no wake-up meanwhile: empty');
});

routing('an empty shard is rechecked when its delayed task falls due, after a `delayed` wake-up, and after EMPTY_RECHECK_MS', () => {
  const { r, clock } = router(2);
  r.listening();
  const [a, b] = r.order('short');
  r.record('short', a, { head: null, nextDueInMs: 500 });
  r.record('short', b, { head: null, nextDueInMs: null });
  assert.equal(r.order('short'), []);
  assert.is(r.nextDueInMs(), 500);
  clock.now += 500;
  assert.equal(r.order('short').map((t) => t.shard), [a.shard], 'a is due');
  r.record('short', r.order('short')[0], { head: null, nextDueInMs: null });
  assert.is(r.nextDueInMs(), null);
  r.wake(b.shard, 'delayed');
  assert.is(r.nextDueInMs(), 0, 'a new earliest delayed task, due at a time not known yet');
  assert.equal(r.order('short').map((t) => t.shard), [b.shard]);
  r.record('short', r.order('short')[0], { head: null, nextDueInMs: null });
  clock.now += EMPTY_RECHECK_MS;
  assert.is(r.order('short').length, 2, 'rechecked after a while, in case a wake-up was missed');
});

routing('what was seen empty before the queue listened is forgotten when it starts to: those wake-ups reached no one', () => {
  const { r } = router(2);
  const [a, b] = r.order('short');
  r.record('short', a, { head: null, nextDueInMs: null });
  const inFlight = r.order('short').find((t) => t.shard === b.shard);
  r.listening();
  assert.is(r.order('short').length, 2, 'the shard seen empty before is worth a claim again');
  r.record('short', inFlight, { head: null, nextDueInMs: null });
  assert.ok(r.order('short').some((t) => t.shard === b.shard), 'a claim sent before listening began does not mark its shard empty');
});

routing('a lane found paused answers paused without a claim until a resume of that lane (while listening; at most EMPTY_RECHECK_MS)', () => {
  const { r, clock } = router(3);
  const [a] = r.order('short');
  r.record('short', a, { head: null, nextDueInMs: null, paused: true });
  assert.is(r.paused('short'), false, 'not listening: no resume would tell it');
  r.listening();
  r.record('short', a, { head: null, nextDueInMs: null, paused: true });
  assert.equal([r.paused('short'), r.paused('long')], [true, false]);
  r.wake(1, 'resume:long');
  assert.is(r.paused('short'), true, 'a resume of the other lane');
  r.wake(2, 'resume:short');
  assert.is(r.paused('short'), false);
  r.record('short', a, { head: null, nextDueInMs: null, paused: true });
  clock.now += EMPTY_RECHECK_MS;
  assert.is(r.paused('short'), false, 'asked again after a while, in case the resume was missed');
  r.record('short', a, { head: null, nextDueInMs: null, paused: true });
  r.wake(-1, '');
  assert.is(r.paused('short'), false, 'a reconnect forgets it');
});

routing('a reconnect (-1) forgets every shard', () => {
  const { r } = router(3);
  r.listening();
  for (const t of r.order('short')) r.record('short', t, { head: 3, nextDueInMs: null });
  assert.equal(r.bound('short', 0), { priority: 3, ownHead: false });
  r.wake(-1, '');
  assert.equal(r.bound('short', 0), { priority: null, ownHead: true });
});

routing.run();
