/** Health, readiness, metrics and the dashboard's data and files. */
import { ErrorCode } from '../../infra/errors.js';
import type { RouteContext } from './context.js';
import { buildOverview } from './overview.js';
import { checkReadiness } from './readiness.js';
import { sendJson } from './respond.js';
import { sendAsset, sendDashboardFile } from './static.js';

/**
 * GET /healthz: the process is alive and serving.
 *
 * @example
 * curl -f $URL/healthz
 */
export async function healthz(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, { ok: true });
}

/**
 * GET /readyz: 200 when Redis answers and every worker is ready, else 503 saying what is not.
 *
 * @example
 * curl -f $URL/readyz
 */
export async function readyz(ctx: RouteContext): Promise<void> {
  const readiness = await checkReadiness(ctx.queue, ctx.runtime);
  if (readiness.ready) sendJson(ctx.res, 200, readiness);
  else sendJson(ctx.res, 503, { ...readiness, error: { code: ErrorCode.NotReady, message: readiness.problems.join('; ') } });
}

/**
 * GET /metrics: Prometheus text exposition.
 *
 * @example
 * curl $URL/metrics
 */
export async function metrics(ctx: RouteContext): Promise<void> {
  const { registry } = ctx.metrics;
  const text = await registry.metrics();
  ctx.res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  ctx.res.end(text);
}

/**
 * GET /stats: `queue.stats()`.
 *
 * @example
 * curl $URL/stats
 */
export async function stats(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await ctx.queue.stats());
}

/**
 * GET /overview: everything the dashboard draws, in one answer.
 *
 * @example
 * curl $URL/overview
 */
export async function overview(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await buildOverview({ queue: ctx.queue, runtime: ctx.runtime, metrics: ctx.metrics, auth: ctx.auth }));
}

/**
 * GET /: the dashboard page.
 *
 * @example
 * open $URL/
 */
export async function dashboardIndex(ctx: RouteContext): Promise<void> {
  await sendDashboardFile(ctx.res, 'index.html');
}

/**
 * GET /dashboard/<file>.
 *
 * @example
 * curl $URL/dashboard/app.js
 */
export async function dashboardFile(ctx: RouteContext): Promise<void> {
  await sendDashboardFile(ctx.res, ctx.params[0]!);
}

/**
 * GET /assets/uplot.js and /assets/uplot.css.
 *
 * @example
 * curl $URL/assets/uplot.js
 */
export async function asset(ctx: RouteContext): Promise<void> {
  await sendAsset(ctx.res, ctx.params[0]!);
}
