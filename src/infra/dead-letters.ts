/**
 * Reading dead letters: full records for a page of them, and a light summary of the latest
 * for a dashboard that polls every second. Both read in bounded chunks, so a large page
 * never sends thousands of commands in one burst or holds their replies all at once.
 */
import type { RedisClient } from './connection.js';
import { decodeTask, readRecord } from './decode.js';
import type { QueueKeys } from './keys.js';
import { keysOfTask } from './shards.js';
import type { Lane, TaskErrorInfo, TaskInfo } from './types.js';

/** Records read per round trip. */
export const DEAD_READ_CHUNK = 100;

/** A dead letter without its payload or result: what a list of them needs to show. */
export interface DeadLetterSummary {
  id: string;
  type: string;
  lane: Lane;
  priority: number;
  attempts: number;
  maxAttempts: number;
  error?: TaskErrorInfo;
  finishedAt?: number;
}

/** The hash fields a summary reads (see the key table in the README for their meaning). */
const SUMMARY_FIELDS = ['state', 'type', 'lane', 'pri', 'att', 'max', 'err', 'ft'] as const;

/** Records read per round trip at first, before their size is known. */
const FIRST_CHUNK = 10;

/** One page of dead letters, and where the next page starts (null: none left). */
export interface DeadLetterPage {
  tasks: TaskInfo[];
  nextOffset: number | null;
}

/**
 * Full records of the dead letters ranked `offset` to `offset + limit - 1`, most recent
 * first, read {@link DEAD_READ_CHUNK} at a time. A record that expired or left the dead
 * state since the ranking was read is skipped.
 *
 * @example
 * await readDeadLetters(redis, queue.shardKeys, { limit: 1000, offset: 0 }) // 10 round trips of 100 HGETALLs
 */
export async function readDeadLetters(redis: RedisClient, shards: readonly QueueKeys[], { limit, offset }: { limit: number; offset: number }): Promise<TaskInfo[]> {
  return (await readDeadLetterPage(redis, shards, { limit, offset, maxBytes: Infinity })).tasks;
}

/**
 * Ids of the dead letters from `offset`, most recent first, over every shard: each shard's
 * newest `offset + limit` merged by the time they died (so a deep offset costs every shard).
 */
async function deadIds(redis: RedisClient, shards: readonly QueueKeys[], offset: number, limit: number): Promise<string[]> {
  if (shards.length === 1) return redis.zrevrange(shards[0]!.dead, offset, offset + limit - 1);
  const perShard = await Promise.all(shards.map((keys) => redis.zrevrange(keys.dead, 0, offset + limit - 1, 'WITHSCORES')));
  const entries: Array<{ id: string; score: number }> = [];
  for (const flat of perShard) for (let i = 0; i < flat.length; i += 2) entries.push({ id: flat[i]!, score: Number(flat[i + 1]) });
  entries.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return entries.slice(offset, offset + limit).map((entry) => entry.id);
}


/**
 * Like {@link readDeadLetters}, but stops once the records read pass `maxBytes`: a page of
 * 1000 dead letters whose payload and result are 1 MiB each would otherwise hold 2 GiB in
 * memory before a byte is sent. The first round trip reads {@link FIRST_CHUNK} records; later
 * ones as many as the budget left holds at the average size seen so far (at most
 * DEAD_READ_CHUNK), so a page stays close to its budget. `nextOffset` says where to go on.
 *
 * @example
 * await readDeadLetterPage(redis, queue.shardKeys, { limit: 1000, offset: 0, maxBytes: 16 * 2 ** 20 })
 */
export async function readDeadLetterPage(redis: RedisClient, shards: readonly QueueKeys[], { limit, offset, maxBytes }: { limit: number; offset: number; maxBytes: number }): Promise<DeadLetterPage> {
  const ids = await deadIds(redis, shards, offset, limit);
  const tasks: TaskInfo[] = [];
  let bytes = 0;
  let read = 0;
  while (read < ids.length && bytes < maxBytes) {
    const perRecord = read === 0 ? Infinity : Math.max(1, bytes / read);
    const first = maxBytes === Infinity ? DEAD_READ_CHUNK : FIRST_CHUNK;
    const size = Math.max(1, Math.min(DEAD_READ_CHUNK, read === 0 ? first : Math.floor((maxBytes - bytes) / perRecord)));
    const chunk = ids.slice(read, read + size);
    const hashes = await Promise.all(chunk.map((id) => readRecord(redis, keysOfTask(shards, id), id)));
    chunk.forEach((id, i) => {
      const hash = hashes[i]!;
      for (const value of Object.values(hash)) bytes += value.length;
      const task = decodeTask(id, hash);
      if (task?.state === 'dead') tasks.push(task);
    });
    read += chunk.length;
  }
  const more = read < ids.length || ids.length === limit;
  return { tasks, nextOffset: more ? offset + read : null };
}

/**
 * Summaries of the `limit` most recent dead letters: HMGET of eight small fields instead of
 * HGETALL, so neither a payload nor a result (up to 1 MiB each) is read or sent.
 *
 * @example
 * await readDeadSummaries(redis, queue.shardKeys, 50) // [{ id, type, lane, priority, attempts, maxAttempts, error, finishedAt }, …]
 */
export async function readDeadSummaries(redis: RedisClient, shards: readonly QueueKeys[], limit: number): Promise<DeadLetterSummary[]> {
  const ids = await deadIds(redis, shards, 0, limit);
  const out: DeadLetterSummary[] = [];
  for (let start = 0; start < ids.length; start += DEAD_READ_CHUNK) {
    const chunk = ids.slice(start, start + DEAD_READ_CHUNK);
    const rows = await Promise.all(chunk.map((id) => redis.hmget(keysOfTask(shards, id).task(id), ...SUMMARY_FIELDS)));
    chunk.forEach((id, i) => {
      const summary = decodeSummary(id, rows[i]!);
      if (summary) out.push(summary);
    });
  }
  return out;
}

function decodeSummary(id: string, row: (string | null)[]): DeadLetterSummary | null {
  const [state, type, lane, pri, att, max, err, ft] = row;
  if (state !== 'dead') return null;
  const summary: DeadLetterSummary = { id, type: type ?? '', lane: (lane ?? 'short') as Lane, priority: Number(pri ?? 0), attempts: Number(att ?? 0), maxAttempts: Number(max ?? 0) };
  if (err !== null && err !== undefined) summary.error = parseError(err);
  if (ft !== null && ft !== undefined) summary.finishedAt = Number(ft);
  return summary;
}

function parseError(text: string): TaskErrorInfo {
  try {
    const value = JSON.parse(text) as TaskErrorInfo;
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // shown as stored below
  }
  // A corrupt record is shown as it is stored rather than hidden, as decodeTask does.
  return { name: 'Error', message: text };
}
