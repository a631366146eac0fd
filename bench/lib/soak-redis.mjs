// What the soak reads from its private redis-server: INFO fields and a census of the
// queue's per-task keys.

/**
 * One numeric or string field of `INFO <section>`.
 *
 * @example
 * const version = await infoField(admin, 'server', 'redis_version'); // '7.0.15'
 */
export async function infoField(admin, section, field) {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(await admin.info(section));
  if (!match) throw new Error(`INFO ${section} has no ${field}`);
  return match[1].trim();
}

/**
 * `used_memory` in bytes: what Redis's allocator holds for data, indexes and buffers.
 *
 * @example
 * const bytes = await usedMemory(admin);
 */
export async function usedMemory(admin) {
  return Number(await infoField(admin, 'memory', 'used_memory'));
}

/**
 * Walks the whole keyspace with SCAN and counts the queue's task records (`t:`) and
 * dedup markers (`d:`). SCAN deletes every expired key it visits, so afterwards
 * `used_memory` no longer includes keys that are logically gone but that Redis's
 * sampling expiry has not reached yet: the counts and a `used_memory` read right
 * after describe the same keys.
 *
 * @example
 * const { records, markers } = await keyCensus(admin, queue.keys.prefix);
 */
export async function keyCensus(admin, prefix) {
  const recordPrefix = `${prefix}t:`;
  const markerPrefix = `${prefix}d:`;
  let records = 0;
  let markers = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'COUNT', 5000);
    for (const key of keys) {
      if (key.startsWith(recordPrefix)) records += 1;
      else if (key.startsWith(markerPrefix)) markers += 1;
    }
    cursor = next;
  } while (cursor !== '0');
  return { records, markers };
}

/**
 * A census followed at once by `used_memory`, stamped with the time.
 *
 * @example
 * const snap = await memorySnapshot(admin, queue.keys.prefix, () => performance.now());
 */
export async function memorySnapshot(admin, prefix, clock) {
  const census = await keyCensus(admin, prefix);
  return { t: clock(), ...census, usedMemoryBytes: await usedMemory(admin) };
}
