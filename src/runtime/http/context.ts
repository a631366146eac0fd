import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskQueue } from '../../infra/task-queue.js';
import type { OperatorMetrics } from '../metrics/registry.js';
import type { Runtime } from '../types.js';

/**
 * What every route handler gets: the request and response, the parsed URL, the route's
 * captures and body, and the server's queue, runtime, metrics and settings.
 *
 * @example
 * async function stats(ctx: RouteContext) { sendJson(ctx.res, 200, await ctx.queue.stats()); }
 */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The route pattern's captures, still percent-encoded. */
  params: string[];
  queue: TaskQueue;
  runtime: Runtime | null;
  metrics: OperatorMetrics;
  /** Mutations need a bearer token. */
  auth: boolean;
  /**
   * The parsed JSON body of a route that takes one (see `Route.body`), read by the server
   * before the route runs; undefined for the others.
   */
  body: unknown;
}

/**
 * A route: answers the request on `ctx.res`, or throws an HttpProblem or a ValidationError.
 *
 * @example
 * const healthz: RouteHandler = async (ctx) => sendJson(ctx.res, 200, { ok: true });
 */
export type RouteHandler = (ctx: RouteContext) => Promise<void>;
