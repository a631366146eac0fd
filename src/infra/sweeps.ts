/**
 * The sweeps of a queue: walks over a whole set in bounded script calls, on every shard
 * at once (releaseOwner, requeueExpired, reap, retryAllDead, purgeAllDead).
 */
import type { ScriptName } from './scripts.js';
import { CHUNK, expectArray, type ShardStore } from './shard-store.js';

/** Every dead letter back to waiting; see TaskQueue.retryAllDead. */
export function retryAllDead(store: ShardStore): Promise<number> {
  return store.sum((k) => eachChunk('retryDeadMany', ([score, id], cutoff) =>
    store.run('retryDeadMany', [k.dead, k.waiting('short'), k.waiting('long'), k.seq, k.slotGuard], [k.prefix, store.channel(k), CHUNK, score, id, cutoff])));
}

/** Every dead letter deleted; see TaskQueue.purgeAllDead. */
export function purgeAllDead(store: ShardStore): Promise<number> {
  return store.sum((k) => eachChunk('purgeDeadMany', ([score, id], cutoff) =>
    store.run('purgeDeadMany', [k.dead, k.slotGuard], [k.prefix, CHUNK, score, id, cutoff, store.settings.dedupWindowMs])));
}

/** Every lease of `owner` back to waiting; see TaskQueue.releaseOwner. */
export function releaseOwner(store: ShardStore, owner: string): Promise<number> {
  return store.sum((k) => eachChunk('releaseOwner', ([score, id], cutoff) =>
    store.run('releaseOwner', store.leaseKeys(k), [...store.stallArgs(k), owner, CHUNK, score, id, cutoff])));
}

/** Lapsed leases back to waiting, up to `limit` per shard; see TaskQueue.requeueExpired. */
export function requeueExpired(store: ShardStore, limit: number): Promise<number> {
  return store.sum(async (k) => {
    const reply = expectArray('requeueExpired', await store.run('requeueExpired', store.leaseKeys(k), [...store.stallArgs(k), limit]));
    return Number(reply[0]) + Number(reply[1]);
  });
}

/** Completed and dead entries past their retention, up to `maxCalls` script calls per shard; see TaskQueue.reap. */
export async function reap(store: ShardStore, maxCalls: number): Promise<{ completed: number; dead: number }> {
  const o = store.settings;
  const perShard = await store.each(async (k) => {
    const total = { completed: 0, dead: 0 };
    for (let calls = 1; ; calls += 1) {
      const [completed, dead] = expectArray('reap', await store.run('reap', [k.completed, k.dead, k.slotGuard],
        [k.prefix, o.completedRetentionMs, store.completedMaxPerShard(), o.deadRetentionMs, CHUNK])).map(Number) as [number, number];
      total.completed += completed;
      total.dead += dead;
      if ((completed < CHUNK && dead < CHUNK) || calls >= maxCalls) return total;
    }
  });
  return perShard.reduce((sum, t) => ({ completed: sum.completed + t.completed, dead: sum.dead + t.dead }), { completed: 0, dead: 0 });
}

/**
 * Runs a chunked sweep (a bulk dead-letter script, releaseOwner) on one shard until it has
 * looked at every entry up to its cutoff. Entries it skips (corrupt, in another state,
 * another owner's) stay in the set, so each call resumes after the (score, id) of the last
 * entry the previous one looked at. A count of skipped entries would not do: if one of them
 * is removed meanwhile (purged, replayed, expired, completed), the count then steps over an
 * entry that was never looked at.
 */
async function eachChunk(script: ScriptName, call: (after: readonly [string, string], cutoff: string) => Promise<unknown>): Promise<number> {
  let done = 0;
  let after: readonly [string, string] = ['', ''];
  let cutoff = '';
  for (;;) {
    const [changed, , seen, until, lastScore, lastId] = expectArray(script, await call(after, cutoff));
    done += Number(changed);
    cutoff = String(until);
    if (Number(seen) < CHUNK) return done;
    after = [String(lastScore), String(lastId)];
  }
}
