/**
 * Browsing the queue over HTTP: `GET /tasks?state=…`, one page of the tasks in a state
 * (TaskQueue.list). Reads only; the rows leave out payloads and results, which
 * `GET /tasks/:id` gives one task at a time.
 */
import { ValidationError } from '../../infra/errors.js';
import { DEFAULT_LIST_LIMIT, LIST_STATES, type ListOptions, type ListState } from '../../infra/list-tasks.js';
import type { Lane } from '../../infra/types.js';
import type { RouteContext } from './context.js';
import { sendJson } from './respond.js';
import { queryId, queryInt, sendTask } from './task-routes.js';

/**
 * GET /tasks?state=waiting|delayed|active|completed|dead&lane=&type=&limit=&cursor= →
 * `{ state, limit, tasks, nextCursor }`. `state` is required; `limit` is 1–1000 (default 100);
 * `nextCursor` is null at the end of the listing. GET /tasks?id=X instead answers the one task
 * X, as GET /tasks/X does (the form that reaches the ids `.` and `..` from a browser).
 *
 * @example
 * curl '$URL/tasks?state=waiting&lane=short&limit=50'
 */
export async function listTasks(ctx: RouteContext): Promise<void> {
  const q = ctx.url.searchParams;
  const id = queryId(ctx);
  if (id !== undefined) {
    if (q.has('state')) throw new ValidationError('id', 'Expected either `id` (one task) or `state` (a page of tasks) in the query, not both');
    await sendTask(ctx, id);
    return;
  }
  const state = q.get('state');
  if (state === null || state === '') {
    throw new ValidationError('state', `Expected \`state\` in the query, one of ${LIST_STATES.map((s) => `\`${s}\``).join(', ')}`);
  }
  const options: ListOptions = { state: state as ListState, limit: queryInt(ctx.url, 'limit', DEFAULT_LIST_LIMIT) };
  const lane = q.get('lane');
  if (lane) options.lane = lane as Lane;
  // An empty parameter is no filter, as a form with an empty field sends it.
  const type = q.get('type');
  if (type) options.type = type;
  const cursor = q.get('cursor');
  if (cursor) options.cursor = cursor;
  // The queue checks every value and names the one it refuses (400 with its `field`).
  const page = await ctx.queue.list(options);
  sendJson(ctx.res, 200, { state, limit: options.limit, ...page });
}
