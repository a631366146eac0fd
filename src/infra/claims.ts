import { ClaimRouter, type ShardTicket } from './claim-router.js';
import { decodeLeases } from './decode.js';
import type { QueueKeys } from './keys.js';
import { expectArray, replayId, type ShardStore } from './shard-store.js';
import type { ClaimBatch, ClaimOptions, Lane, Lease } from './types.js';

/**
 * Claims of a queue: one script call for one shard; for a sharded queue, the shards chosen by
 * a ClaimRouter. Corrupt tasks a claim finds are handed to `dropCorrupt` (TaskQueue
 * dead-letters them), which reports the ids it could not record.
 */
export class Claims {
  readonly #store: ShardStore;
  readonly #router: ClaimRouter | undefined;
  readonly #dropCorrupt: (corrupt: Lease[]) => Promise<void>;

  constructor(store: ShardStore, dropCorrupt: (corrupt: Lease[]) => Promise<void>) {
    this.#store = store;
    this.#router = store.shardKeys.length > 1 ? new ClaimRouter(store.shardKeys.length) : undefined;
    this.#dropCorrupt = dropCorrupt;
  }

  /** The router of a sharded queue, which wake-ups keep informed (undefined with one shard). */
  get router(): ClaimRouter | undefined {
    return this.#router;
  }

  /**
   * Leases up to `max` tasks of `lane` (options checked by the caller). A sharded queue first
   * probes the shards it knows nothing of yet, when it has a choice among them, then claims
   * from the shard with the most urgent task it knows of, taking none less urgent than the best
   * known elsewhere, and goes on from the shard that is best then while the batch is short.
   */
  async claim(lane: Lane, options: ClaimOptions): Promise<ClaimBatch> {
    const router = this.#router;
    if (!router) {
      const { emptied: _, ...batch } = await this.#claimShard(this.#store.shardKeys[0]!, lane, options, null);
      return batch;
    }
    const batch: ClaimBatch = { leases: [], nextDueInMs: null, corrupt: 0, paused: false };
    if (router.paused(lane)) return { ...batch, paused: true, nextDueInMs: router.nextDueInMs() };
    // Shards found empty by this call: not asked again by it.
    const emptied = new Set<number>();
    const probes = router.toProbe(lane);
    if (probes.length > 0 && options.max > 0) {
      // One round trip to every shard not known (each on its own node's connection).
      const probed = await Promise.all(probes.map((ticket) => this.#claimShard(this.#store.shardKeys[ticket.shard]!, lane, { ...options, max: 0 }, ticket)));
      if (probed.some((reply) => reply.paused)) return { ...batch, paused: true, nextDueInMs: router.nextDueInMs() };
      probed.forEach((reply, i) => {
        if (reply.emptied) emptied.add(probes[i]!.shard);
      });
    }
    // A merge of the shards: each call goes to the shard with the best head now, and is bounded
    // by the best head elsewhere, until the batch is full, no shard has anything for it, or the
    // calls run out (a batch over many fine-grained priorities comes back short, not slow).
    for (let calls = 0; batch.leases.length < options.max && calls < 2 * this.#store.shardKeys.length; calls += 1) {
      const ticket = router.order(lane).find(({ shard }) => !emptied.has(shard));
      if (!ticket) break;
      const got = await this.#claimShard(this.#store.shardKeys[ticket.shard]!, lane, { ...options, max: options.max - batch.leases.length }, ticket);
      batch.leases.push(...got.leases);
      batch.corrupt += got.corrupt;
      if (got.paused) {
        batch.paused = true;
        break;
      }
      if (got.emptied) emptied.add(ticket.shard);
    }
    batch.nextDueInMs = router.nextDueInMs();
    return batch;
  }

  /** One claim script call on one shard; what it saw goes to the router of a sharded queue. */
  async #claimShard(k: QueueKeys, lane: Lane, { max, leaseMs, owner }: ClaimOptions, ticket: ShardTicket | null): Promise<ClaimBatch & { emptied: boolean }> {
    const store = this.#store;
    const o = store.settings;
    const bound = ticket && this.#router!.bound(lane, ticket.shard);
    // The id names the call's memo: a resent claim (its reply was lost) answers the leases
    // the first run took instead of leaving them orphaned until they lapse.
    const claimId = replayId();
    const reply = expectArray('claim', await store.resend('claim',
      [k.waiting(lane), k.waiting('short'), k.waiting('long'), k.delayed, k.active, k.dead, k.seq, k.paused(lane), k.claimMemo(claimId), k.slotGuard],
      [k.prefix, store.channel(k), max, leaseMs, owner, o.leaseMarginMs, o.deadRetentionMs, o.dedupWindowMs, lane, claimId, o.maxStalls,
        bound?.priority ?? '', bound?.ownHead ? 1 : '']));
    const nextDue = Number(reply[0]);
    const head = Number(reply[3]);
    const paused = Number(reply[2]) === 1;
    if (ticket) this.#router!.record(lane, ticket, { head: head < 0 ? null : head, nextDueInMs: nextDue < 0 ? null : nextDue, paused });
    const { leases, corrupt } = decodeLeases(reply, 4, lane, owner, leaseMs);
    for (const lease of [...leases, ...corrupt]) {
      if (lease.timeoutMs > 0) lease.leaseMs = Math.max(leaseMs, lease.timeoutMs + o.leaseMarginMs);
    }
    if (corrupt.length > 0) await this.#dropCorrupt(corrupt);
    return { leases, nextDueInMs: nextDue < 0 ? null : nextDue, corrupt: Number(reply[1]) + corrupt.length, paused, emptied: head < 0 };
  }
}
