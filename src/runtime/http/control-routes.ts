/**
 * Operator controls over HTTP: pausing and resuming lanes, and forgetting the dedup marker
 * of a purged or expired id. Mutations: they need the bearer token like every POST and DELETE.
 */
import { ErrorCode, IdInUseError, ValidationError } from '../../infra/errors.js';
import type { Lane } from '../../infra/types.js';
import { checkLane } from '../../infra/validate.js';
import type { RouteContext } from './context.js';
import { HttpProblem, sendJson } from './respond.js';
import { idParam } from './task-routes.js';

/**
 * POST /pause → 200 `{ changed, paused }`: claims on the lane (body or query `lane`; both
 * lanes when none) stop; running tasks finish; enqueue still works.
 *
 * @example
 * curl -X POST -H "Authorization: Bearer $TOKEN" '$URL/pause?lane=long'
 */
export async function pause(ctx: RouteContext): Promise<void> {
  const changed = await ctx.queue.pause(laneOf(ctx));
  sendJson(ctx.res, 200, { changed, paused: await ctx.queue.paused() });
}

/**
 * POST /resume → 200 `{ changed, paused }`: claims on the lane (or both) go on at once.
 *
 * @example
 * curl -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"lane":"long"}' $URL/resume
 */
export async function resume(ctx: RouteContext): Promise<void> {
  const changed = await ctx.queue.resume(laneOf(ctx));
  sendJson(ctx.res, 200, { changed, paused: await ctx.queue.paused() });
}

/**
 * DELETE /tasks/:id/marker → 200 `{ id, forgotten: true }`; 404 when nothing refuses the id;
 * 409 TASKLANE_ERR_ID_IN_USE while the task still has a record (nothing is changed).
 *
 * @example
 * curl -X DELETE -H "Authorization: Bearer $TOKEN" $URL/tasks/a/marker
 */
export async function forget(ctx: RouteContext): Promise<void> {
  const id = idParam(ctx, 0);
  let forgotten: boolean;
  try {
    forgotten = await ctx.queue.forget(id);
  } catch (err) {
    if (err instanceof IdInUseError) throw new HttpProblem(409, ErrorCode.IdInUse, err.message);
    throw err;
  }
  if (!forgotten) throw new HttpProblem(404, ErrorCode.NotFound, `Nothing refuses \`${id}\`: no dedup marker to forget`);
  sendJson(ctx.res, 200, { id, forgotten: true });
}

/** The lane from the query or the JSON body (`{ "lane": "long" }`); undefined means both. */
function laneOf(ctx: RouteContext): Lane | undefined {
  const fromQuery = ctx.url.searchParams.get('lane');
  const body = ctx.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new ValidationError('body', 'Expected the body to be absent or an object such as {"lane":"long"}');
  }
  const fromBody = body === undefined ? undefined : (body as Record<string, unknown>).lane;
  if (body !== undefined) {
    const unknown = Object.keys(body).filter((k) => k !== 'lane');
    if (unknown.length > 0) throw new ValidationError(unknown[0]!, `Unknown field \`${unknown[0]}\`; allowed fields: lane`);
  }
  if (fromQuery !== null && fromBody !== undefined && fromQuery !== fromBody) {
    throw new ValidationError('lane', `Expected one lane, got \`${fromQuery}\` in the query and ${JSON.stringify(fromBody)} in the body`);
  }
  const lane = fromQuery ?? fromBody;
  // Only a lane left out means both: `?lane=$LANE` with the variable unset must not pause everything.
  if (lane === undefined) return undefined;
  return checkLane(lane, 'lane');
}

