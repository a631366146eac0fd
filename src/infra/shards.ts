import { QueueKeys } from './keys.js';

/**
 * The shard of a task id among `count`: FNV-1a (32 bit) of the id's UTF-8 bytes, modulo
 * `count`. Part of the stored layout: every process of a queue, in any version, must map an
 * id to the same shard, or dedup and get/cancel by id would look in the wrong place. So it
 * never changes, and a queue's shard count is fixed once it holds tasks (layout.ts).
 *
 * @example
 * shardOf('order-1', 1)  // 0
 * shardOf('order-1', 12) // always the same shard in 0..11
 */
export function shardOf(id: string, count: number): number {
  if (count === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * The keys of the shard, among `shards`, that holds task `id`.
 *
 * @example
 * keysOfTask(shardKeys('emails', 'tl', 12), 'order-1').prefix // 'tl:{emails~1}:'
 */
export function keysOfTask(shards: readonly QueueKeys[], id: string): QueueKeys {
  return shards[shardOf(id, shards.length)]!;
}

/**
 * The keys of every shard of a queue, shard 0 first.
 *
 * @example
 * shardKeys('emails', 'tl', 3).map((k) => k.prefix) // ['tl:{emails}:', 'tl:{emails~1}:', 'tl:{emails~2}:']
 */
export function shardKeys(name: string, namespace: string, count: number): QueueKeys[] {
  return Array.from({ length: count }, (_, i) => new QueueKeys(name, namespace, i));
}

/**
 * Groups items by the shard of their id, keeping each item's index in the input, so
 * results can be put back in input order.
 *
 * @example
 * groupByShard(['a', 'b', 'c'], (id) => id, 2) // Map { 1 => [[0, 'a'], …], … }
 */
export function groupByShard<T>(items: readonly T[], idOf: (item: T) => string, count: number): Map<number, Array<[number, T]>> {
  const groups = new Map<number, Array<[number, T]>>();
  items.forEach((item, index) => {
    const shard = shardOf(idOf(item), count);
    let group = groups.get(shard);
    if (!group) groups.set(shard, (group = []));
    group.push([index, item]);
  });
  return groups;
}
