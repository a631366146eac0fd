import type { RedisClient } from './connection.js';
import type { QueueKeys } from './keys.js';
import type { Lane, Lease, TaskErrorInfo, TaskInfo, TaskState } from './types.js';

/** Number of reply fields per lease in the claim script's output. */
export const LEASE_FIELDS = 12;

/**
 * Turns a task hash (HGETALL) into a TaskInfo; null when the record does not exist.
 * Tolerates partial records (a dead letter made from a corrupt one).
 */
export function decodeTask(id: string, hash: Record<string, string>): TaskInfo | null {
  if (!hash || hash.state === undefined) return null;
  const info: TaskInfo = {
    id,
    type: hash.type ?? '',
    lane: (hash.lane ?? 'short') as Lane,
    priority: num(hash.pri),
    payload: parseJson(hash.payload ?? 'null'),
    state: hash.state as TaskState,
    attempts: num(hash.att),
    maxAttempts: num(hash.max),
    timeoutMs: num(hash.to),
    fence: num(hash.fence),
    stalls: num(hash.stalls),
    createdAt: num(hash.ct),
  };
  if (hash.owner !== undefined) info.owner = hash.owner;
  if (hash.res !== undefined) info.result = parseJson(hash.res);
  if (hash.err !== undefined) info.error = parseJson(hash.err) as TaskErrorInfo;
  if (hash.st !== undefined) info.startedAt = num(hash.st);
  if (hash.ft !== undefined) info.finishedAt = num(hash.ft);
  // enqueue writes `run` only for a delay; without one the task was due from its creation.
  if (hash.run !== undefined || hash.ct !== undefined) info.runAt = num(hash.run ?? hash.ct);
  return info;
}

/**
 * Decodes the claim script's flat lease fields. A lease whose payload is not valid JSON
 * is reported in `corrupt` instead, so the caller can dead-letter it.
 */
export function decodeLeases(reply: unknown[], offset: number, lane: Lane, owner: string, leaseMs: number): { leases: Lease[]; corrupt: Lease[] } {
  const leases: Lease[] = [];
  const corrupt: Lease[] = [];
  for (let i = offset; i + LEASE_FIELDS <= reply.length; i += LEASE_FIELDS) {
    const lease: Lease = {
      id: String(reply[i]),
      fence: num(reply[i + 1]),
      attempt: num(reply[i + 2]),
      owner,
      type: String(reply[i + 3]),
      payload: null,
      lane,
      priority: num(reply[i + 5]),
      timeoutMs: num(reply[i + 6]),
      maxAttempts: num(reply[i + 7]),
      createdAt: num(reply[i + 8]),
      expiresAt: num(reply[i + 9]),
      readyAt: num(reply[i + 10]),
      claimedAt: num(reply[i + 11]),
      leaseMs,
    };
    try {
      lease.payload = JSON.parse(String(reply[i + 4]));
      leases.push(lease);
    } catch {
      corrupt.push(lease);
    }
  }
  return { leases, corrupt };
}

/** Plain-data form of an error, as stored on the task record. */
export function errorInfo(err: Error): TaskErrorInfo {
  const info: TaskErrorInfo = { name: err.name, message: truncate(err.message, 2000) };
  const { code, status } = err as Error & { code?: unknown; status?: unknown };
  if (typeof code === 'string') info.code = code;
  if (typeof status === 'number') info.status = status;
  return info;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function num(value: unknown): number {
  return value === undefined || value === null ? 0 : Number(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a corrupt record is shown as it is stored rather than hidden
  }
}

/**
 * A task's record hash (HGETALL) with a payload or result kept in its own key (its `pk` or
 * `rk` marker set: over 64 bytes, see includes/records.lua) folded in as `payload` or `res`,
 * ready for decodeTask. Costs a second round trip only for such a record.
 *
 * @example
 * decodeTask(id, await readRecord(redis, keys, id))
 */
export async function readRecord(redis: RedisClient, keys: QueueKeys, id: string): Promise<Record<string, string>> {
  const hash = await redis.hgetall(keys.task(id));
  if (hash.pk === undefined && hash.rk === undefined) return hash;
  const [payload, result] = await redis.mget(keys.payload(id), keys.result(id));
  if (hash.pk !== undefined && payload != null) hash.payload = payload;
  if (hash.rk !== undefined && result != null) hash.res = result;
  return hash;
}
