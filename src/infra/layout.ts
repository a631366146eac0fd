import { LayoutError, UnexpectedReplyError } from './errors.js';
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

type RunScript = (name: 'layout', keys: readonly string[], argv: readonly string[]) => Promise<unknown>;

/**
 * Checks the layout of a queue, stamping KEY_LAYOUT on a new or pre-versioned one. Rejects
 * with LayoutError for any other stamp; then nothing was written.
 *
 * @example
 * await checkLayout(run, new QueueKeys('emails')); // 'new', 'adopted' or 'stamped'
 */
export async function checkLayout(run: RunScript, keys: QueueKeys): Promise<'new' | 'adopted' | 'stamped'> {
  let reply: unknown;
  try {
    reply = await run('layout', [keys.layout, ...keys.stored], [KEY_LAYOUT]);
  } catch (err) {
    // GET of a hash, a set...: not a stamp any tasklane wrote, and not one to read past.
    if (err instanceof Error && /WRONGTYPE/.test(err.message)) throw layoutError(keys, '(not a string)');
    throw err;
  }
  if (!Array.isArray(reply) || reply.length !== 2) throw new UnexpectedReplyError('layout', reply);
  const [how, found] = reply.map(String) as [string, string];
  if (found !== KEY_LAYOUT) throw layoutError(keys, found);
  if (how !== 'new' && how !== 'adopted' && how !== 'stamped') throw new UnexpectedReplyError('layout', reply);
  return how;
}

function layoutError(keys: QueueKeys, found: string): LayoutError {
  return new LayoutError({ queue: keys.name, key: keys.layout, found, expected: KEY_LAYOUT });
}
