// The soak's private redis-server and what the soak reads from it: INFO fields and a
// census of the queue's per-task keys.
import { startRedisServer } from '../../scripts/lib/redis-server.mjs';

/**
 * A private redis-server that also accepts DEBUG from loopback, so that censuses can
 * pause active expiry (see keyCensus). A redis-server too old for
 * `enable-debug-command` (before 7.0) starts without it; censuses then run unpaused.
 *
 * @example
 * const redis = await startSoakRedis();
 * redis.canPauseExpiry // true on Redis 7
 */
export async function startSoakRedis() {
  try {
    return { ...(await startRedisServer({ extraArgs: ['--enable-debug-command', 'local'] })), canPauseExpiry: true };
  } catch {
    return { ...(await startRedisServer()), canPauseExpiry: false };
  }
}

/**
 * One field of `INFO <section>`, as a string.
 *
 * @example
 * const version = await infoField(admin, 'server', 'redis_version'); // '7.0.15'
 */
export async function infoField(admin, section, field) {
  const fields = await info(admin, section);
  return field in fields ? fields[field] : missing(section, field);
}

/**
 * What a sample needs from INFO, in one call: `used_memory` (what the allocator holds
 * for data, indexes and buffers), keys in db0 including expired ones not reclaimed
 * yet, and Redis's CPU time so far.
 *
 * @example
 * const { usedMemoryBytes, keys, cpuSeconds } = await redisSample(admin);
 */
export async function redisSample(admin) {
  const fields = await info(admin, 'memory', 'keyspace', 'cpu');
  const db0 = /keys=(\d+)/.exec(fields.db0 ?? '');
  return {
    usedMemoryBytes: Number(fields.used_memory ?? missing('memory', 'used_memory')),
    keys: db0 ? Number(db0[1]) : 0,
    cpuSeconds: Number(fields.used_cpu_user) + Number(fields.used_cpu_sys),
  };
}

/**
 * Walks the whole keyspace with SCAN, counts the queue's task records (`t:`) and dedup
 * markers (`d:`), then reads `used_memory`.
 *
 * SCAN deletes every expired key it visits, so `used_memory` no longer includes keys
 * that are logically gone but that Redis's sampling expiry has not reached yet. With
 * `pauseExpiry`, active expiry is off from the first SCAN to the INFO read: a key
 * counted alive cannot be freed before the read, however long the walk takes on a
 * busy machine, so the counts and the bytes describe the same keys.
 *
 * @example
 * const { records, markers, usedMemoryBytes } = await keyCensus(admin, queue.keys.prefix, { pauseExpiry: true });
 */
export async function keyCensus(admin, prefix, { pauseExpiry }) {
  const recordPrefix = `${prefix}t:`;
  const markerPrefix = `${prefix}d:`;
  // SCAN may return a key twice when the table is resized mid-walk.
  const seen = new Set();
  if (pauseExpiry) await admin.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'COUNT', 5000);
      for (const key of keys) if (key.startsWith(recordPrefix) || key.startsWith(markerPrefix)) seen.add(key);
      cursor = next;
    } while (cursor !== '0');
    const { usedMemoryBytes } = await redisSample(admin);
    let records = 0;
    for (const key of seen) if (key.startsWith(recordPrefix)) records += 1;
    return { records, markers: seen.size - records, usedMemoryBytes, expiryPaused: pauseExpiry };
  } finally {
    if (pauseExpiry) await admin.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  }
}

async function info(admin, ...sections) {
  const fields = {};
  for (const line of (await admin.info(...sections)).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

function missing(section, field) {
  throw new Error(`INFO ${section} has no ${field}`);
}
