import type { RedisClient } from './connection.js';
import type { QueueKeys } from './keys.js';
import { LANES } from './types.js';

/** Width of the FIFO sequence prefix of a waiting-set member (lua/includes/waiting.lua SEQ_WIDTH). */
const SEQ_WIDTH = 15;

/**
 * The task types among the next `perSet` tasks of each waiting set and of the delayed set:
 * a cheap, bounded look at what is about to be claimed (two round trips, whatever the
 * queue's size), not a census. Used at start-up to warn about work no handler will take.
 *
 * @example
 * const types = await sampleWaitingTypes(queue, 100);
 * if (types.has('http') && !apiUrl) log.warn({}, 'http tasks wait and --api-url is not set');
 */
export async function sampleWaitingTypes(queue: { readonly redis: RedisClient; readonly shardKeys: readonly QueueKeys[] }, perSet = 100): Promise<Set<string>> {
  // A sharded queue: a smaller look at each shard, and each shard's reads stay in its slot.
  const each = Math.max(1, Math.ceil(perSet / queue.shardKeys.length));
  const found = await Promise.all(queue.shardKeys.map((keys) => sampleShard(queue.redis, keys, each)));
  return new Set(found.flatMap((types) => [...types]));
}

async function sampleShard(redis: RedisClient, keys: QueueKeys, perSet: number): Promise<Set<string>> {
  const heads = await redis.pipeline([
    ...LANES.map((lane) => ['zrange', keys.waiting(lane), '0', String(perSet - 1)]),
    ['zrange', keys.delayed, '0', String(perSet - 1)],
  ]).exec();
  const ids: string[] = [];
  (heads ?? []).forEach(([err, members], i) => {
    if (err || !Array.isArray(members)) return;
    // Waiting members are `<seq><id>`; delayed members are bare ids.
    for (const member of members as string[]) ids.push(i < LANES.length ? member.slice(SEQ_WIDTH) : member);
  });
  if (ids.length === 0) return new Set();
  const types = await redis.pipeline(ids.map((id) => ['hget', keys.task(id), 'type'])).exec();
  return new Set((types ?? []).flatMap(([err, type]) => (!err && typeof type === 'string' ? [type] : [])));
}
