/**
 * The queue's operations over HTTP: tasks (enqueue, read, cancel) and dead letters (list,
 * replay, purge). Answers are JSON; refusals are `{ error: { code, message, field? } }`.
 */
import { ErrorCode, ValidationError } from '../../infra/errors.js';
import { cancelOrExplain, isCancellable } from '../../infra/cancel-or-explain.js';
import type { EnqueueResult, TaskInput } from '../../infra/types.js';
import type { RouteContext } from './context.js';
import { HttpProblem, sendJson } from './respond.js';

/**
 * Inputs per POST /tasks. A batch is validated whole and enqueued in one request's time, so
 * an unbounded array would hold the route (and Redis) for as long as a client likes.
 */
export const MAX_BATCH_INPUTS = 1000;

/**
 * POST /tasks: one TaskInput → `{ id, duplicate }`; an array (at most 1000) → an array of
 * those, in order. 201 when at least one task was created, 200 when every one was a
 * duplicate (nothing changed).
 *
 * @example
 * curl -H 'content-type: application/json' -d '{"id":"a","payload":1}' $URL/tasks
 */
export async function postTasks(ctx: RouteContext): Promise<void> {
  const { body } = ctx;
  if (Array.isArray(body)) {
    if (body.length > MAX_BATCH_INPUTS) {
      throw new ValidationError('body', `Expected at most ${MAX_BATCH_INPUTS} task inputs per request, got ${body.length}; split the batch`);
    }
    const results = await ctx.queue.enqueueMany(body as TaskInput[]);
    sendJson(ctx.res, results.some((r) => !r.duplicate) ? 201 : 200, results);
    return;
  }
  if (typeof body !== 'object' || body === null) {
    throw new ValidationError('body', `Expected the body to be a task object or an array of them, got ${body === null ? 'null' : typeof body}`);
  }
  const result: EnqueueResult = await ctx.queue.enqueue(body as TaskInput);
  sendJson(ctx.res, result.duplicate ? 200 : 201, result);
}

/**
 * GET /tasks/:id → the TaskInfo; 404 when unknown or expired: TASKLANE_ERR_ID_REFUSED with
 * `refusedUntil` (server ms) while enqueue still refuses the id, else TASKLANE_ERR_NOT_FOUND.
 *
 * @example
 * curl $URL/tasks/a
 */
export async function getTask(ctx: RouteContext): Promise<void> {
  await sendTask(ctx, param(ctx, 0));
}

/**
 * The task `id` names, as GET /tasks/:id answers it; also GET /tasks?id=X, which reaches ids a
 * browser's URL layer cannot put in a path (`.` and `..`).
 */
export async function sendTask(ctx: RouteContext, id: string): Promise<void> {
  const task = await ctx.queue.get(id);
  if (task) {
    sendJson(ctx.res, 200, task);
    return;
  }
  const refusal = await ctx.queue.refusal(id);
  if (!refusal) throw noTask(id);
  const until = refusal.refusedUntil === null ? 'until its marker is removed' : `until ${new Date(refusal.refusedUntil).toISOString()}`;
  sendJson(ctx.res, 404, { error: {
    code: ErrorCode.IdRefused,
    message: `No task \`${id}\`: its record was purged or expired, and enqueue refuses the id ${until} (DELETE /tasks/:id/marker clears that)`,
    refusedUntil: refusal.refusedUntil,
  } });
}

/**
 * DELETE /tasks/:id → 200 `{ id, cancelled: true }`; 409 when it exists but is past waiting/delayed; 404 when unknown.
 *
 * @example
 * curl -X DELETE -H "Authorization: Bearer $TOKEN" $URL/tasks/a
 */
export async function deleteTask(ctx: RouteContext): Promise<void> {
  await cancelTask(ctx, param(ctx, 0));
}

/**
 * DELETE /tasks?id=X → cancels X alone, as DELETE /tasks/X does: the form the dashboard sends,
 * since a browser rewrites `/tasks/%2E` to `/tasks`. 400 naming `id` without one: there is no
 * bulk cancel.
 */
export async function deleteTaskByQuery(ctx: RouteContext): Promise<void> {
  const id = queryId(ctx);
  if (id === undefined) throw new ValidationError('id', 'Expected `id` in the query: DELETE /tasks?id=X cancels the task X (there is no bulk cancel)');
  await cancelTask(ctx, id);
}

async function cancelTask(ctx: RouteContext, id: string): Promise<void> {
  const outcome = await cancelOrExplain(ctx.queue, id);
  if (outcome.cancelled) {
    sendJson(ctx.res, 200, { id, cancelled: true });
    return;
  }
  if (outcome.seen === null) throw noTask(id);
  const seen = isCancellable(outcome.seen)
    ? `Task \`${id}\` kept changing state while it was being cancelled (last seen ${outcome.seen}); try again`
    : `Task \`${id}\` was ${outcome.seen} when the cancel was tried; only waiting or delayed tasks can be cancelled`;
  throw new HttpProblem(409, ErrorCode.NotCancellable, seen);
}


/**
 * Dead letters per GET /dead. Each is a full record (payload and result up to 1 MiB each),
 * so a page is bounded; a client pages with `offset` for more.
 */
export const MAX_DEAD_PAGE = 1000;

/**
 * Bytes of records one GET /dead reads before it ends the page early: 1000 full records can
 * hold 2 GiB, and the read-only token (a metrics scraper's) is enough to ask for them.
 */
export const DEAD_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * GET /dead?limit=&offset= → `{ tasks, limit, offset, nextOffset }`, most recent first (limit
 * 1–1000, default 100). A page ends early once its records pass DEAD_PAGE_BYTES; `nextOffset`
 * is where the next page starts (null when none is left).
 *
 * @example
 * curl '$URL/dead?limit=20&offset=40'
 */
export async function listDead(ctx: RouteContext): Promise<void> {
  const limit = queryInt(ctx.url, 'limit', 100);
  if (limit < 1 || limit > MAX_DEAD_PAGE) {
    throw new ValidationError('limit', `Expected \`limit\` to be a whole number from 1 to ${MAX_DEAD_PAGE}, got \`${limit}\`; page with \`offset\` for more`);
  }
  const offset = queryInt(ctx.url, 'offset', 0);
  const { tasks, nextOffset } = await ctx.queue.deadLetterPage({ limit, offset, maxBytes: DEAD_PAGE_BYTES });
  sendJson(ctx.res, 200, { tasks, limit, offset, nextOffset });
}

/**
 * POST /dead/:id/retry → 200 `{ id, retried: true }`; 404 when it is not a dead letter.
 *
 * @example
 * curl -X POST -H "Authorization: Bearer $TOKEN" $URL/dead/a/retry
 */
export async function retryDead(ctx: RouteContext): Promise<void> {
  const id = param(ctx, 0);
  if (!(await ctx.queue.retryDead(id))) throw noDeadLetter(id);
  sendJson(ctx.res, 200, { id, retried: true });
}

/**
 * POST /dead/retry → 200 `{ retried: n }`; with `?id=X`, replays X alone (as POST /dead/X/retry).
 *
 * @example
 * curl -X POST -H "Authorization: Bearer $TOKEN" $URL/dead/retry
 */
export async function retryAllDead(ctx: RouteContext): Promise<void> {
  const id = queryId(ctx);
  if (id !== undefined) {
    if (!(await ctx.queue.retryDead(id))) throw noDeadLetter(id);
    sendJson(ctx.res, 200, { id, retried: true });
    return;
  }
  sendJson(ctx.res, 200, { retried: await ctx.queue.retryAllDead() });
}

/**
 * DELETE /dead/:id → 200 `{ id, purged: true }`; 404 when it is not a dead letter.
 *
 * @example
 * curl -X DELETE -H "Authorization: Bearer $TOKEN" $URL/dead/a
 */
export async function purgeDead(ctx: RouteContext): Promise<void> {
  const id = param(ctx, 0);
  if (!(await ctx.queue.purgeDead(id))) throw noDeadLetter(id);
  sendJson(ctx.res, 200, { id, purged: true });
}

/**
 * DELETE /dead → 200 `{ purged: n }`; with `?id=X`, purges X alone (as DELETE /dead/X).
 *
 * @example
 * curl -X DELETE -H "Authorization: Bearer $TOKEN" $URL/dead
 */
export async function purgeAllDead(ctx: RouteContext): Promise<void> {
  const id = queryId(ctx);
  if (id !== undefined) {
    if (!(await ctx.queue.purgeDead(id))) throw noDeadLetter(id);
    sendJson(ctx.res, 200, { id, purged: true });
    return;
  }
  sendJson(ctx.res, 200, { purged: await ctx.queue.purgeAllDead() });
}

function param(ctx: RouteContext, index: number): string {
  return idParam(ctx, index);
}

/**
 * The id of a per-id route: its path segment, percent-decoded on its own (the server routes on
 * the path as sent, so `%2E` is the id `.`, not a dot segment).
 *
 * @example
 * idParam(ctx, 0) // '.' for DELETE /dead/%2E
 */
export function idParam(ctx: RouteContext, index: number): string {
  try {
    return decodeURIComponent(ctx.params[index]!);
  } catch {
    throw new ValidationError('id', 'Expected the id in the path to be percent-encoded UTF-8');
  }
}

/**
 * The `id` query parameter of a collection route, which then acts on that one id: a client
 * whose URL layer removed a dot segment (`/dead/%2E/retry` becomes `/dead/retry` in a browser)
 * still names its id, and the dashboard sends per-id actions this way. Undefined when absent.
 */
export function queryId(ctx: RouteContext): string | undefined {
  const id = ctx.url.searchParams.get('id');
  return id === null ? undefined : id;
}

/** A whole-number query parameter, or `fallback` when absent or empty; the queue checks its range. */
export function queryInt(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  // The queue checks the range; here only that it is a whole number at all.
  if (!/^\d{1,16}$/.test(raw)) throw new ValidationError(name, `Expected \`${name}\` to be a whole number, got \`${raw.slice(0, 40)}\``);
  return Number(raw);
}

function noTask(id: string): HttpProblem {
  return new HttpProblem(404, ErrorCode.NotFound, `No task \`${id}\` (never enqueued, or its record expired)`);
}

function noDeadLetter(id: string): HttpProblem {
  return new HttpProblem(404, ErrorCode.NotFound, `No dead letter \`${id}\``);
}
