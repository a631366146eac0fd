import * as browse from './browse-routes.js';
import type { RouteHandler } from './context.js';
import * as control from './control-routes.js';
import * as ops from './ops-routes.js';
import * as tasks from './task-routes.js';

export type Method = 'GET' | 'POST' | 'DELETE';

/** One path and what each method does on it. */
export interface Route {
  readonly path: RegExp;
  readonly methods: Readonly<Partial<Record<Method, RouteHandler>>>;
  /**
   * Methods exempt from the route timeout: bulk operations that work through the dead
   * letters in chunks and may legitimately take longer than one Redis round trip should.
   */
  readonly untimed?: readonly Method[];
  /**
   * Methods that take a JSON body. The server reads it before the route runs, so the route
   * timeout, which guards the wait on Redis, does not also run while a client uploads.
   */
  readonly body?: readonly Method[];
  /** Methods whose JSON body may also be absent (empty): the route then sees `undefined`. */
  readonly optionalBody?: readonly Method[];
  /**
   * Served without a token even where reads are guarded: the probes (a load balancer or an
   * orchestrator has no token) and the dashboard's static files (a browser cannot attach a
   * bearer token to a page load; the files hold no queue data, and every request the page
   * makes for data needs the token).
   */
  readonly open?: true;
}

/**
 * Every route. A path may match several entries (`/dead/retry` is also `/dead/:id`); a
 * request takes the first that has its method, and `Allow` lists the union.
 *
 * @example
 * ROUTES.find((r) => r.path.test('/stats'))?.methods.GET // ops.stats
 */
export const ROUTES: readonly Route[] = [
  { path: /^\/tasks$/, methods: { GET: browse.listTasks, POST: tasks.postTasks, DELETE: tasks.deleteTaskByQuery }, body: ['POST'] },
  { path: /^\/tasks\/([^/]+)$/, methods: { GET: tasks.getTask, DELETE: tasks.deleteTask } },
  { path: /^\/tasks\/([^/]+)\/marker$/, methods: { DELETE: control.forget } },
  { path: /^\/pause$/, methods: { POST: control.pause }, body: ['POST'], optionalBody: ['POST'] },
  { path: /^\/resume$/, methods: { POST: control.resume }, body: ['POST'], optionalBody: ['POST'] },
  { path: /^\/dead$/, methods: { GET: tasks.listDead, DELETE: tasks.purgeAllDead }, untimed: ['DELETE'] },
  { path: /^\/dead\/retry$/, methods: { POST: tasks.retryAllDead }, untimed: ['POST'] },
  { path: /^\/dead\/([^/]+)\/retry$/, methods: { POST: tasks.retryDead } },
  { path: /^\/dead\/([^/]+)$/, methods: { DELETE: tasks.purgeDead } },
  { path: /^\/stats$/, methods: { GET: ops.stats } },
  { path: /^\/overview$/, methods: { GET: ops.overview } },
  { path: /^\/healthz$/, methods: { GET: ops.healthz }, open: true },
  { path: /^\/readyz$/, methods: { GET: ops.readyz }, open: true },
  { path: /^\/metrics$/, methods: { GET: ops.metrics } },
  { path: /^\/$/, methods: { GET: ops.dashboardIndex }, open: true },
  { path: /^\/dashboard\/(.+)$/, methods: { GET: ops.dashboardFile }, open: true },
  { path: /^\/assets\/([^/]+)$/, methods: { GET: ops.asset }, open: true },
];

/**
 * What a request resolves to: a handler (`mutation` for POST and DELETE; `timed` unless the
 * route is a bulk operation exempt from the route timeout; `body` when it takes a JSON body;
 * `open` when it needs no token even where reads are guarded),
 * a known path with other methods, or nothing.
 *
 * @example
 * const match: Match = matchRoute('POST', '/dead/retry'); // { kind: 'handler', mutation: true, timed: false, body: false, … }
 * if (match.kind === 'method') res.setHeader('allow', match.allow.join(', '));
 */
export type Match =
  | { kind: 'handler'; handler: RouteHandler; params: string[]; mutation: boolean; timed: boolean; body: boolean; optionalBody: boolean; open: boolean }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

/**
 * Finds the handler of a request. HEAD is served as GET (Node sends no body for HEAD).
 *
 * @example
 * matchRoute('GET', '/tasks/a%2Fb') // { kind: 'handler', params: ['a%2Fb'], … }
 */
export function matchRoute(method: string, pathname: string): Match {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const allow = new Set<string>();
  for (const route of ROUTES) {
    const m = route.path.exec(pathname);
    if (!m) continue;
    const handler = Object.hasOwn(route.methods, wanted) ? route.methods[wanted as Method] : undefined;
    if (handler) {
      const timed = !(route.untimed ?? []).includes(wanted as Method);
      const body = (route.body ?? []).includes(wanted as Method);
      const optionalBody = (route.optionalBody ?? []).includes(wanted as Method);
      return { kind: 'handler', handler, params: m.slice(1), mutation: wanted === 'POST' || wanted === 'DELETE', timed, body, optionalBody, open: route.open === true };
    }
    for (const key of Object.keys(route.methods)) allow.add(key);
  }
  if (allow.size === 0) return { kind: 'none' };
  if (allow.has('GET')) allow.add('HEAD');
  return { kind: 'method', allow: [...allow] };
}
