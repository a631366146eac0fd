/**
 * Browsing a sharded queue: each shard's page of the listing, merged into one page in the
 * listing's order, with a cursor that holds where each shard stands.
 */
import type { QueueKeys } from './keys.js';
import { cursorError, DEFAULT_LIST_LIMIT, isScore, openCursor, planList, readRows, withCursor, type ListOptions, type ListPlan, type ListRow, type TaskPage } from './list-tasks.js';

const SHARD_CURSOR_VERSION = 2;
/** Where a shard stands: null before its first entry, 'end' after its last, else the last entry looked at. */
type Position = null | 'end' | [string, string];

type RunList = (shard: number, plan: ListPlan) => Promise<unknown>;

/**
 * One page of a listing over every shard, in the order one shard lists (by score, then
 * member; descending for completed and dead). A shard that stopped short (filtered scan
 * bound) holds back rows of other shards beyond where it stopped, so a page never lists an
 * entry before one that comes earlier in a shard not read that far yet.
 *
 * @example
 * await listShards(shardKeys, { state: 'dead', limit: 50 }, (shard, plan) => run(shard, plan))
 */
export async function listShards(shards: readonly QueueKeys[], options: ListOptions, run: RunList): Promise<TaskPage> {
  const plans = shards.map((keys) => planList(keys, { ...options, cursor: undefined }));
  const desc = options.state === 'completed' || options.state === 'dead';
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const positions = options.cursor === undefined ? shards.map((): Position => null) : decodeShardCursor(options.cursor, options, shards.length);
  const order = (a: readonly [string, string], b: readonly [string, string]) => compareEntries(a, b) * (desc ? -1 : 1);

  const pages = await Promise.all(positions.map(async (position, shard) => {
    if (position === 'end') return null;
    return readRows(await run(shard, withCursor(plans[shard]!, position)));
  }));
  // The furthest every shard still holding entries has been read to.
  let frontier: [string, string] | null = null;
  for (const page of pages) {
    if (page?.more && (frontier === null || order(page.last, frontier) < 0)) frontier = page.last;
  }
  const candidates: Array<ListRow & { shard: number }> = [];
  pages.forEach((page, shard) => {
    for (const row of page?.rows ?? []) {
      if (frontier === null || order([row.score, row.member], frontier) <= 0) candidates.push({ ...row, shard });
    }
  });
  candidates.sort((a, b) => order([a.score, a.member], [b.score, b.member]));
  const taken = candidates.slice(0, limit);

  const next = positions.map((position, shard): Position => {
    const page = pages[shard];
    if (!page) return position;
    const mine = taken.filter((row) => row.shard === shard);
    // Every row of this shard's page is listed: it continues after all it looked at (the
    // entries between its last row and there did not match the filter).
    if (mine.length === page.rows.length) return page.more ? page.last : 'end';
    // Rows taken are a prefix of the shard's page, which is in listing order.
    return mine.length > 0 ? [mine.at(-1)!.score, mine.at(-1)!.member] : position;
  });
  const done = next.every((position) => position === 'end');
  return { tasks: taken.map((row) => row.task), nextCursor: done ? null : encodeShardCursor(options, next) };
}

/** (score, member) order of a sorted set: by score, then member bytewise. */
function compareEntries(a: readonly [string, string], b: readonly [string, string]): number {
  const byScore = Number(a[0]) - Number(b[0]);
  if (byScore !== 0) return byScore;
  return Buffer.compare(Buffer.from(a[1], 'utf8'), Buffer.from(b[1], 'utf8'));
}

function encodeShardCursor(options: ListOptions, positions: Position[]): string {
  return Buffer.from(JSON.stringify([SHARD_CURSOR_VERSION, options.state, options.lane ?? '', positions]), 'utf8').toString('base64url');
}

function decodeShardCursor(cursor: unknown, options: ListOptions, count: number): Position[] {
  // A position per shard: up to one id, its 15-digit sequence and a score each.
  const rest = openCursor(cursor, { state: options.state, lane: options.lane ?? '', version: SHARD_CURSOR_VERSION, maxLength: count * 2048 });
  const positions = rest[0];
  if (rest.length !== 1 || !Array.isArray(positions) || positions.length !== count || !positions.every(isPosition)) throw cursorError(`not a cursor of a queue in ${count} shards`);
  return positions as Position[];
}

function isPosition(value: unknown): value is Position {
  if (value === null || value === 'end') return true;
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && isScore(value[0]) && typeof value[1] === 'string' && value[1].length > 0;
}
