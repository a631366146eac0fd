/**
 * Browsing tasks by state: the options of `TaskQueue.list`, its opaque cursor, and the
 * decoding of the listTasks script's rows. The reads themselves are one read-only script
 * call per page (lua/listTasks.lua), bounded by the page size or by {@link LIST_SCAN_LIMIT}.
 */
import { UnexpectedReplyError, ValidationError } from './errors.js';
import type { QueueKeys } from './keys.js';
import type { Lane, TaskErrorInfo, TaskInfo } from './types.js';
import { checkInt, checkLane, checkType, describe } from './validate.js';

/** The states `list` can walk: each has an index. (Cancelled records have none.) */
export const LIST_STATES = ['waiting', 'delayed', 'active', 'completed', 'dead'] as const;
export type ListState = (typeof LIST_STATES)[number];

/** Largest page; over it is a ValidationError naming `limit` (HTTP 400). */
export const MAX_LIST_LIMIT = 1000;
/** Page size when none is asked for. */
export const DEFAULT_LIST_LIMIT = 100;
/**
 * Index entries one filtered request (by `type`, or by `lane` outside waiting) looks at, at
 * most. A rare type would otherwise make one request read the whole index; instead the page
 * comes back short (or empty) with a cursor to continue from.
 */
export const LIST_SCAN_LIMIT = 2000;

/** What `TaskQueue.list` takes. */
export interface ListOptions {
  state: ListState;
  /** Waiting: one lane's claim order; without it both lanes merged. Other states: a filter. */
  lane?: Lane;
  /** Only tasks of this type (a bounded filter: see LIST_SCAN_LIMIT). */
  type?: string;
  /** 1 to 1000, default 100. */
  limit?: number;
  /** `nextCursor` of the previous page; omitted for the first. */
  cursor?: string;
}

/** A task as listed: the record without its payload and result (load those with `get`). */
export type TaskSummary = Omit<TaskInfo, 'payload' | 'result'> & {
  /** Active tasks: server ms at which the lease lapses unless renewed. */
  expiresAt?: number;
};

/** One page of `TaskQueue.list`. */
export interface TaskPage {
  tasks: TaskSummary[];
  /** Pass it as `cursor` for the next page; null when the listing is at its end. */
  nextCursor: string | null;
}

/** The script call a listing makes, derived from validated options. */
export interface ListPlan {
  keys: [string, string, string];
  argv: (string | number)[];
}

const CURSOR_VERSION = 1;
const MAX_CURSOR_LENGTH = 2048;
const ROW_FIELDS = 19;

/**
 * Checks the options and builds the script call. Waiting walks the lane's set by claim order
 * (priority, then FIFO); without a lane, both sets merged in that order. Delayed goes by due
 * time, active by lease expiry, completed and dead most recent first.
 *
 * @example
 * planList(keys, { state: 'dead', limit: 20 }) // { keys: [dead, dead], argv: [...] }
 */
export function planList(keys: QueueKeys, options: ListOptions): ListPlan {
  if (typeof options !== 'object' || options === null) throw new ValidationError('options', `Expected list options, got ${describe(options)}`);
  const { state, lane, type, limit = DEFAULT_LIST_LIMIT, cursor } = options;
  if (typeof state !== 'string' || !(LIST_STATES as readonly string[]).includes(state)) {
    throw new ValidationError('state', `Expected \`state\` to be one of ${LIST_STATES.map((s) => `\`${s}\``).join(', ')}, got ${describe(state)}`);
  }
  if (lane !== undefined) checkLane(lane);
  if (type !== undefined) checkType(type, 'type');
  checkInt(limit, 'limit', 1, MAX_LIST_LIMIT);
  const after = cursor === undefined ? null : decodeCursor(cursor, state, lane ?? '');
  let index: [string, string];
  let sets = 1;
  if (state === 'waiting') {
    index = lane ? [keys.waiting(lane), keys.waiting(lane)] : [keys.waiting('short'), keys.waiting('long')];
    if (!lane) sets = 2;
  } else {
    const key = keys[state];
    index = [key, key];
  }
  // The lane filter costs nothing for waiting (it picks the set); elsewhere it is a filter.
  const filtered = type !== undefined || (lane !== undefined && state !== 'waiting');
  const desc = state === 'completed' || state === 'dead';
  return {
    keys: [...index, keys.slotGuard],
    argv: [keys.prefix, desc ? 1 : 0, sets, limit, filtered ? Math.max(limit, LIST_SCAN_LIMIT) : limit, state, type ?? '',
      state === 'waiting' ? '' : lane ?? '', state === 'waiting' ? 1 : 0, after?.score ?? '', after?.member ?? ''],
  };
}

/**
 * Decodes the script's reply into a page; the cursor names the listing it belongs to.
 *
 * @example
 * const page = readPage(reply, { state: 'waiting' });
 */
export function readPage(reply: unknown, options: ListOptions): TaskPage {
  const { more, last, rows } = readRows(reply);
  const nextCursor = more ? encodeCursor(options.state, options.lane ?? '', last[0], last[1]) : null;
  return { tasks: rows.map((row) => row.task), nextCursor };
}

/** One row of a listTasks reply with the index entry it came from. */
export interface ListRow {
  task: TaskSummary;
  score: string;
  member: string;
}

/** A listTasks reply: whether entries remain after the last one looked at (`last`: score, member), and its rows. */
export function readRows(reply: unknown): { more: boolean; last: [string, string]; rows: ListRow[] } {
  if (!Array.isArray(reply) || reply.length < 3 || (reply.length - 3) % ROW_FIELDS !== 0) throw new UnexpectedReplyError('listTasks', reply);
  const rows: ListRow[] = [];
  for (let i = 3; i < reply.length; i += ROW_FIELDS) {
    const fields = reply.slice(i, i + ROW_FIELDS).map(String);
    rows.push({ task: summary(fields), score: fields[17]!, member: fields[18]! });
  }
  return { more: Number(reply[0]) === 1, last: [String(reply[1]), String(reply[2])], rows };
}

/** The cursor's part of a planned call's argv (its last two entries): the entry to continue after. */
export function withCursor(plan: ListPlan, after: readonly [string, string] | null): ListPlan {
  const argv = plan.argv.slice(0, -2);
  argv.push(after?.[0] ?? '', after?.[1] ?? '');
  return { keys: plan.keys, argv };
}

function summary(f: string[]): TaskSummary {
  const [id, state, type, lane, pri, att, max, to, fence, stalls, owner, err, ct, st, ft, run, exp] = f as [string, ...string[]];
  const task: TaskSummary = {
    id,
    type: type!,
    lane: (lane || 'short') as Lane,
    priority: Number(pri || 0),
    state: state as TaskSummary['state'],
    attempts: Number(att || 0),
    maxAttempts: Number(max || 0),
    timeoutMs: Number(to || 0),
    fence: Number(fence || 0),
    stalls: Number(stalls || 0),
    createdAt: Number(ct || 0),
  };
  if (owner) task.owner = owner;
  if (err) task.error = parseError(err);
  if (st) task.startedAt = Number(st);
  if (ft) task.finishedAt = Number(ft);
  if (run || ct) task.runAt = Number(run || ct); // no `run` without a delay: see enqueue.lua
  if (exp && state === 'active') task.expiresAt = Number(exp);
  return task;
}

function parseError(text: string): TaskErrorInfo {
  try {
    return JSON.parse(text) as TaskErrorInfo;
  } catch {
    return { name: 'Error', message: text }; // a corrupt record is shown as stored rather than hidden
  }
}

/**
 * The cursor: base64url of `[version, state, lane, score, member]`, the last index entry a page
 * looked at. It is opaque to callers; it carries the state and lane so that a cursor passed to
 * another listing is refused rather than silently starting somewhere odd.
 */
function encodeCursor(state: string, lane: string, score: string, member: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, state, lane, score, member]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown, state: string, lane: string): { score: string; member: string } {
  const rest = openCursor(cursor, { state, lane, version: CURSOR_VERSION, maxLength: MAX_CURSOR_LENGTH });
  const [score, member] = rest;
  if (rest.length !== 2 || typeof score !== 'string' || !isScore(score) || typeof member !== 'string' || member.length === 0) throw cursorError('not a cursor');
  return { score, member };
}

/**
 * The parts after `[version, state, lane]` of a cursor a listing wrote (base64url JSON), once
 * its version, state and lane match the listing it is passed to; a ValidationError otherwise.
 * Both cursors, of one shard and of many (list-shards.ts), are read through it.
 */
export function openCursor(cursor: unknown, { state, lane, version, maxLength }: { state: string; lane: string; version: number; maxLength: number }): unknown[] {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw cursorError('not a cursor');
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw cursorError('not a cursor');
  }
  if (!Array.isArray(parts) || parts[0] !== version || typeof parts[1] !== 'string' || typeof parts[2] !== 'string') throw cursorError('not a cursor');
  const [, cState, cLane, ...rest] = parts as [number, string, string, ...unknown[]];
  if (cState !== state || cLane !== lane) throw cursorError(`it continues state \`${cState}\`${cLane ? ` lane \`${cLane}\`` : ''}`);
  return rest;
}

export function cursorError(why: string): ValidationError {
  return new ValidationError('cursor', `Expected \`cursor\` to be the \`nextCursor\` of a previous page of this listing (${why})`);
}

/** A sorted-set score as a cursor holds it. */
export function isScore(text: string): boolean {
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text);
}
