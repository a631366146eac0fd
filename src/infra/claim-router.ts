import type { Lane } from './types.js';

/** A shard whose lane was seen empty is tried again after this long even without a wake-up (a missed message). */
export const EMPTY_RECHECK_MS = 10_000;

/** Ranks of a shard seen empty: tried after every other one, or not at all (see ClaimRouter #rank). */
const LAST = Number.MAX_VALUE;
const SKIP = Number.POSITIVE_INFINITY;

/** What one shard's claim saw of a lane, for the router. */
export interface ShardReading {
  /** Whether the lane is paused (the claim took nothing; its head was not read). */
  paused?: boolean;
  /** The lane's best waiting priority after the claim; null when none waits (or the lane is paused). */
  head: number | null;
  /** Ms until the shard's earliest delayed task is due, or null when none is delayed. */
  nextDueInMs: number | null;
}

/** What `order` hands a claim: the shard, and its wake-up count then (for `record`). */
export interface ShardTicket {
  readonly shard: number;
  readonly wakes: number;
}

interface LaneView {
  /** Best waiting priority per shard as last seen; undefined: not known; Infinity: seen empty. */
  readonly head: Array<number | undefined>;
  /** When each head was seen (ms). */
  readonly seenAt: number[];
}

/**
 * Picks the shard a claim of a sharded queue goes to, without a round trip of its own.
 *
 * Every claim reply says the best priority left in its shard's lane (the head), and the
 * router keeps the latest per shard. A claim goes to the shard with the best known head
 * (ties at random, so consumers spread over equal shards), and is bounded by the best head
 * of the other shards: it takes no task less urgent than a task known to wait elsewhere.
 * A shard not known yet (at start, after a wake-up from it, after a reconnect) counts as the
 * best, so it is looked at first. A shard seen empty is skipped until a wake-up says it has
 * work, its earliest delayed task falls due, or EMPTY_RECHECK_MS passes.
 *
 * Heads go stale between claims: a more urgent task enqueued into a shard whose lane was not
 * empty sends no wake-up, and is found when a claim next reads that shard. The priority order
 * across shards is therefore close, not exact (README: measured); within a shard it is exact.
 */
export class ClaimRouter {
  readonly #count: number;
  readonly #lanes: Record<Lane, LaneView>;
  /** When each shard's earliest delayed task is due (ms); Infinity when none is known. */
  readonly #dueAt: number[];
  /** When a claim last found each lane paused (ms), until a resume: claims answer `paused` without asking. */
  readonly #pausedAt: Record<Lane, number | null> = { short: null, long: null };
  /** Wake-ups per shard: a claim that saw its shard empty must not hide one that came meanwhile. */
  readonly #wakes: number[];
  /** Whether wake-ups arrive (the queue listens): without them, a shard seen empty is not skipped. */
  #listening = false;
  readonly #random: () => number;
  readonly #now: () => number;

  constructor(count: number, { random = Math.random, now = Date.now }: { random?: () => number; now?: () => number } = {}) {
    this.#count = count;
    const view = (): LaneView => ({ head: new Array<number | undefined>(count).fill(undefined), seenAt: new Array<number>(count).fill(0) });
    this.#lanes = { short: view(), long: view() };
    this.#dueAt = new Array<number>(count).fill(Number.POSITIVE_INFINITY);
    this.#wakes = new Array<number>(count).fill(0);
    this.#random = random;
    this.#now = now;
  }

  /**
   * The shards worth a claim on `lane`, best first: unknown ones, then by known head. Shards
   * seen empty (and not due for a recheck) are left out, so an idle queue costs no claims.
   */
  order(lane: Lane): ShardTicket[] {
    const now = this.#now();
    const ranked: Array<{ shard: number; rank: number; tie: number }> = [];
    for (let shard = 0; shard < this.#count; shard += 1) {
      const rank = this.#rank(lane, shard, now);
      if (rank !== SKIP) ranked.push({ shard, rank, tie: this.#random() });
    }
    ranked.sort((a, b) => a.rank - b.rank || a.tie - b.tie);
    return ranked.map(({ shard }) => ({ shard, wakes: this.#wakes[shard]! }));
  }

  /**
   * Shards of `lane` not known yet, when a claim has a choice to make among them (two or more
   * shards worth a claim): a claim probes them first (max 0: the reply says the shard's best
   * priority) so that it does not take tasks from the first shard it happens to try while a
   * more urgent one waits in a shard it has not looked at. At start, all of them.
   */
  toProbe(lane: Lane): ShardTicket[] {
    const candidates = this.order(lane);
    if (candidates.length < 2) return [];
    return candidates.filter(({ shard }) => this.#lanes[lane].head[shard] === undefined);
  }

  /**
   * The least urgent priority a claim on `shard` should take: the best known head elsewhere
   * (null: none known). `ownHead`: some other shard is not known yet, so the claim also takes
   * no task less urgent than its own shard's best, which may not be the queue's best.
   */
  bound(lane: Lane, shard: number): { priority: number | null; ownHead: boolean } {
    const heads = this.#lanes[lane].head;
    let best = Number.POSITIVE_INFINITY;
    let unknown = false;
    for (let other = 0; other < this.#count; other += 1) {
      if (other === shard) continue;
      const head = heads[other];
      if (head === undefined) unknown = true;
      else if (head < best) best = head; // a shard seen empty sets no bound
    }
    return { priority: best === Number.POSITIVE_INFINITY ? null : best, ownHead: unknown };
  }

  /**
   * From now on wake-ups arrive (WakeSignal subscribed), so a shard seen empty may be skipped
   * until one does. What was seen empty before is forgotten, and so is what claims in flight
   * will report empty: the wake-ups sent meanwhile reached no one.
   */
  listening(): void {
    this.#listening = true;
    for (let shard = 0; shard < this.#count; shard += 1) {
      this.#wakes[shard] = this.#wakes[shard]! + 1;
      this.#unlearnEmpty('short', shard);
      this.#unlearnEmpty('long', shard);
    }
  }

  /** Records what a claim on the ticket's shard saw. */
  record(lane: Lane, { shard, wakes }: ShardTicket, { head, nextDueInMs, paused = false }: ShardReading): void {
    const now = this.#now();
    const view = this.#lanes[lane];
    this.#pausedAt[lane] = paused ? now : null;
    // A wake-up since the claim was sent may be for work a claim that found none did not see.
    if (head !== null) view.head[shard] = head;
    else view.head[shard] = this.#wakes[shard] !== wakes ? undefined : Number.POSITIVE_INFINITY;
    view.seenAt[shard] = now;
    this.#dueAt[shard] = nextDueInMs === null ? Number.POSITIVE_INFINITY : now + nextDueInMs;
  }

  /**
   * A wake-up from `shard` (see WakeSignal) says a lane there has waiting tasks, not which:
   * a lane seen empty is not known any more, and one with a known head keeps it (a claim, which
   * publishes when it leaves tasks behind, would otherwise unlearn what its own reply taught).
   * `delayed`: a new earliest delayed task, due at a time not known, so the shard is worth a
   * claim now (its reply says when). Shard -1: a reconnect, after which nothing is known.
   */
  wake(shard: number, message: string): void {
    if (message === 'resume:short' || message === 'resume:long' || shard < 0) {
      if (message !== 'resume:long') this.#pausedAt.short = null;
      if (message !== 'resume:short') this.#pausedAt.long = null;
    }
    if (shard < 0) {
      for (let s = 0; s < this.#count; s += 1) {
        this.#wakes[s] = this.#wakes[s]! + 1;
        this.#forget(s);
        this.#dueAt[s] = this.#now();
      }
      return;
    }
    this.#wakes[shard] = this.#wakes[shard]! + 1;
    if (message === 'delayed') this.#dueAt[shard] = this.#now();
    else if (message === 'short' || message === 'resume:short') this.#unlearnEmpty('short', shard);
    else if (message === 'long' || message === 'resume:long') this.#unlearnEmpty('long', shard);
    else this.#forget(shard);
  }

  #unlearnEmpty(lane: Lane, shard: number): void {
    const view = this.#lanes[lane];
    if (view.head[shard] === Number.POSITIVE_INFINITY) view.head[shard] = undefined;
  }

  #forget(shard: number): void {
    this.#lanes.short.head[shard] = undefined;
    this.#lanes.long.head[shard] = undefined;
  }

  /**
   * Whether the lane was found paused and no resume has come since (pause and resume set every
   * shard): a claim then answers `paused` without a round trip, so paused consumers, which wait
   * for a resume, cost nothing. Only while wake-ups arrive, and for EMPTY_RECHECK_MS at most.
   */
  paused(lane: Lane): boolean {
    const at = this.#pausedAt[lane];
    return this.#listening && at !== null && this.#now() - at < EMPTY_RECHECK_MS;
  }

  /** Ms until the earliest delayed task known in any shard is due, or null when none is known. */
  nextDueInMs(): number | null {
    const earliest = Math.min(...this.#dueAt);
    return earliest === Number.POSITIVE_INFINITY ? null : Math.max(0, earliest - this.#now());
  }

  /**
   * Where a shard's lane stands in the order: -1 when not known (first: probe or claim it), its
   * head priority when known, LAST when seen empty but worth a try after the others (nothing
   * would have told this queue otherwise: it does not listen for wake-ups), SKIP when seen empty.
   * A shard seen empty whose delayed task falls due, or long enough ago that a wake-up may have
   * been missed, is not known any more.
   */
  #rank(lane: Lane, shard: number, now: number): number {
    const view = this.#lanes[lane];
    if (view.head[shard] === Number.POSITIVE_INFINITY && (this.#dueAt[shard]! <= now || now - view.seenAt[shard]! >= EMPTY_RECHECK_MS)) {
      view.head[shard] = undefined;
    }
    const head = view.head[shard];
    if (head === undefined) return -1;
    if (head !== Number.POSITIVE_INFINITY) return head;
    return this.#listening ? SKIP : LAST;
  }
}
