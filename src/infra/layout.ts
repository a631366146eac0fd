import { LayoutError, ShardCountError, UnexpectedReplyError } from './errors.js';
import type { QueueKeys } from './keys.js';

/**
 * The version of the key layout this tasklane reads and writes, stamped in `tl:{name}:layout`.
 * 1 is the layout before it was versioned (no stamp). 2 only adds to it, so a queue found with
 * keys but no stamp is adopted as it is and stamped 2. Bump it with a change that an older
 * tasklane would misread, and it refuses a queue stamped with it instead of misreading it.
 * Payloads and results over 64 bytes kept in their own keys (keys.ts payload/result, marked
 * `pk`/`rk` on the record) stay 2: an addition, since records without the markers (payload
 * and result inline, as all were before) read and run as ever. Only a tasklane older than
 * that change misreads a marked record (no payload: dead-lettered as corrupt), so upgrade
 * every process of a queue before enqueueing long payloads with the new code.
 */
export const KEY_LAYOUT = '2';

/**
 * The stamp of a queue in `shards` shards: the layout alone for one shard (as before sharding),
 * `2/<shards>` for more, so that a tasklane that knows no shards refuses a sharded queue
 * (LayoutError) instead of reading shard 0 as the whole queue.
 *
 * @example
 * layoutStamp(1)  // '2'
 * layoutStamp(12) // '2/12'
 */
export function layoutStamp(shards: number): string {
  return shards === 1 ? KEY_LAYOUT : `${KEY_LAYOUT}/${shards}`;
}

type RunScript = (name: 'layout', keys: readonly string[], argv: readonly string[]) => Promise<unknown>;

/**
 * Checks the layout of a queue, stamping KEY_LAYOUT on a new or pre-versioned one. Rejects
 * with LayoutError for any other stamp; then nothing was written.
 *
 * @example
 * await checkLayout(run, new QueueKeys('emails')); // 'new', 'adopted' or 'stamped'
 */
export async function checkLayout(run: RunScript, keys: QueueKeys, shards = 1): Promise<'new' | 'adopted' | 'stamped'> {
  const expected = layoutStamp(shards);
  let reply: unknown;
  try {
    reply = await run('layout', [keys.layout, ...keys.stored], [expected, shards > 1 ? '1' : '']);
  } catch (err) {
    // GET of a hash, a set...: not a stamp any tasklane wrote, and not one to read past.
    if (err instanceof Error && /WRONGTYPE/.test(err.message)) throw layoutError(keys, '(not a string)');
    throw err;
  }
  if (!Array.isArray(reply) || reply.length !== 2) throw new UnexpectedReplyError('layout', reply);
  const [how, found] = reply.map(String) as [string, string];
  // Keys without a stamp were stored by a tasklane without shards: one shard.
  if (how === 'unstamped') throw new ShardCountError({ queue: keys.name, found: 1, expected: shards });
  if (how !== 'new' && how !== 'adopted' && how !== 'stamped') throw new UnexpectedReplyError('layout', reply);
  if (found === expected) return how;
  // The shard count is fixed by the first stamp: ids, and their dedup markers, are found by it,
  // and a process still running with the old count would go on using it.
  const stored = /^(\d{1,6})(?:\/(\d{1,6}))?$/.exec(found);
  if (stored && stored[1] === KEY_LAYOUT) throw new ShardCountError({ queue: keys.name, found: Number(stored[2] ?? 1), expected: shards });
  throw layoutError(keys, found);
}

function layoutError(keys: QueueKeys, found: string): LayoutError {
  return new LayoutError({ queue: keys.name, key: keys.layout, found, expected: KEY_LAYOUT });
}
