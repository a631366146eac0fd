/**
 * The operator HTTP server: the queue's operations, health and readiness probes,
 * Prometheus metrics and the dashboard, on node:http with no framework.
 *
 * Mutations (POST, DELETE) need `Authorization: Bearer <token>` when a token is set, and a
 * token is mandatory on any address beyond loopback. Reads are guarded too (the full or the
 * read-only token) beyond loopback or when a read-only token is set; the probes and the
 * dashboard's static files never are. On loopback every request must name a loopback `Host`
 * (DNS rebinding). Every refusal is `{ error: { code, message, field? } }` with a
 * `TASKLANE_ERR_*` code. HTTPS when `tls` is given; connection limits always.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../actors/types.js';
import { ErrorCode, OptionError, ValidationError } from '../../infra/errors.js';
import type { TaskQueue } from '../../infra/task-queue.js';
import { OperatorMetrics } from '../metrics/registry.js';
import { TIMED_OUT, within } from '../shutdown.js';
import type { Runtime } from '../types.js';
import { bearerCheck, checkOrigin, hostCheck, tokenProblem } from './auth.js';
import { ClientAbortError, DEFAULT_BODY_LIMIT_BYTES, readJsonBody } from './body.js';
import type { RouteContext } from './context.js';
import { checkingIntervalMs, resolveLimits, type ServerLimits } from './limits.js';
import { DEFAULT_HTTP_HOST, isLoopback, urlOf } from './listen.js';
import { HttpProblem, sendError } from './respond.js';
import { rawPathname } from './raw-path.js';
import { matchRoute } from './routes.js';
import { checkTls, type TlsMaterial } from './tls.js';

/** Options of {@link createOperatorServer}. */
export interface OperatorServerOptions {
  /** The queue to operate on. The server does not close it. */
  queue: TaskQueue;
  /** The runtime processing it, for /readyz, the task metrics and the dashboard. */
  runtime?: Runtime | null;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9464; 0 picks a free port (see the URL `listen()` resolves with). */
  port?: number;
  /** Bearer token for mutations (and reads when they are guarded). Required unless `host` is loopback. */
  token?: string | null;
  /**
   * A read-only bearer token: it opens every read (a Prometheus scraper, a dashboard
   * viewer) and no mutation. Setting it guards reads on loopback too. Needs `token`, and
   * must differ from it.
   */
  readToken?: string | null;
  /** Serve HTTPS with this PEM certificate and key instead of plain HTTP. */
  tls?: TlsMaterial | null;
  /** Connection limits (headers and request timeouts, keep-alive, connection cap); see {@link ServerLimits}. */
  limits?: ServerLimits;
  /** Largest request body. Default 1 MiB + 64 KiB. */
  bodyLimitBytes?: number;
  /**
   * How long a request may wait on Redis before it is answered 503 (reads) or 504 (changes,
   * whose outcome is then unknown). Default 10000. `POST /dead/retry` and `DELETE /dead`
   * are exempt: they work in chunks and may take longer.
   */
  routeTimeoutMs?: number;
  /** Where server errors go; default: silent. */
  log?: Logger;
}

/** A running (or ready to run) operator server. */
export interface OperatorServer {
  /** Binds the address; resolves with the URL actually bound (the real port when 0 was asked). */
  listen(): Promise<{ url: string }>;
  /** Stops accepting, ends idle keep-alive connections, waits (briefly) for requests in flight. */
  close(): Promise<void>;
  readonly metrics: OperatorMetrics;
}

/**
 * The operator server's port when none is given (Prometheus's exporter range).
 *
 * @example
 * createOperatorServer({ queue }); // listens on 127.0.0.1:9464 (DEFAULT_HTTP_PORT)
 */
export const DEFAULT_HTTP_PORT = 9464;
/**
 * A route that waits on Redis longer than this is answered without waiting further: ioredis
 * queues commands while Redis is away, and a client (or a probe) is better told than left
 * hanging.
 */
const DEFAULT_ROUTE_TIMEOUT_MS = 10_000;
/** Any request target this server routes is a path; the base only completes the URL. */
const URL_BASE = 'http://operator.invalid';
/** close() waits this long for requests in flight before cutting their connections. */
const CLOSE_GRACE_MS = 3000;

/**
 * Creates the operator HTTP server. Options are checked here: a non-loopback host without a
 * token is an OptionError, since anyone who can reach the port could enqueue, cancel or
 * replay tasks.
 *
 * @example
 * const server = createOperatorServer({ queue, runtime, port: 9464, token: process.env.TASKLANE_HTTP_TOKEN });
 * const { url } = await server.listen();   // 'http://127.0.0.1:9464'
 * // curl -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"payload":1}' $url/tasks
 * await server.close();
 */
export function createOperatorServer(options: OperatorServerOptions): OperatorServer {
  const o = resolveServerOptions(options);
  const metrics = new OperatorMetrics({ queue: o.queue, runtime: o.runtime });
  const authorize = o.token ? bearerCheck(o.token, o.readToken) : null;
  // Off loopback anyone who reaches the port could read payloads, results and errors; a
  // read-only token is a request to guard reads wherever the server is.
  const guardReads = o.readToken !== null || !isLoopback(o.host);
  const checkHost = hostCheck(o.host);
  const server: Server = createListener(o, (req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // On every answer, errors included: a browser must not sniff JSON or text into markup.
    res.setHeader('x-content-type-options', 'nosniff');
    try {
      checkHost?.(req);
      const url = requestUrl(req.url ?? '/');
      const match = matchRoute(req.method ?? 'GET', rawPathname(req.url ?? '/', url.pathname));
      if (match.kind === 'none') throw new HttpProblem(404, ErrorCode.NotFound, `No route ${url.pathname.slice(0, 200)}`);
      if (match.kind === 'method') {
        throw new HttpProblem(405, ErrorCode.MethodNotAllowed, `${req.method} is not allowed on ${url.pathname.slice(0, 200)}; allowed: ${match.allow.join(', ')}`, { allow: match.allow.join(', ') });
      }
      if (match.mutation) {
        // A bearer token is something a forged cross-site request cannot carry, so the origin
        // check guards tokenless servers only (and would break proxies that rewrite Host).
        if (authorize) authorize(req, 'full');
        else checkOrigin(req);
      } else if (guardReads && !match.open) {
        // guardReads implies a token: resolveServerOptions refuses either case without one.
        authorize!(req, 'read');
      }
      // Read before the timed section: the route timeout bounds the wait on Redis, and a slow
      // upload that never reached Redis must not be answered 504 "outcome unknown".
      const body = match.body ? await readJsonBody(req, o.bodyLimitBytes, { optional: match.optionalBody }) : undefined;
      const ctx: RouteContext = { req, res, url, params: match.params, queue: o.queue, runtime: o.runtime, metrics, auth: !!authorize, body };
      // A bulk route with `?id=` acts on that one id (the dashboard's per-id form), so it gets
      // the route timeout like the per-id path does: only a real bulk run may take longer.
      if (!match.timed && !url.searchParams.has('id')) {
        await match.handler(ctx);
        return;
      }
      const outcome = await within(match.handler(ctx), o.routeTimeoutMs);
      if (outcome === TIMED_OUT && !res.headersSent) throw timedOut(match.mutation, o.routeTimeoutMs);
    } catch (err) {
      if (err instanceof ClientAbortError) {
        o.log?.debug({ method: req.method, url: req.url }, 'http: client aborted the request');
        res.destroy();
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, err, (e) => o.log?.error({ err: e, method: req.method, url: req.url }, 'http: request failed'));
    }
  }

  let closing: Promise<void> | undefined;
  return {
    metrics,
    listen: () => new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(o.port, o.host, () => {
        server.off('error', onError);
        server.on('error', (err) => o.log?.error({ err }, 'http server error'));
        const address = server.address() as AddressInfo;
        resolve({ url: urlOf(address.address, address.port, o.tls !== null) });
      });
    }),
    close: () => (closing ??= closeServer(server, metrics)),
  };
}

/**
 * The request target as a URL. Node passes on targets the WHATWG parser refuses (`//[`),
 * which would otherwise surface as a 500.
 */
function requestUrl(target: string): URL {
  try {
    return new URL(target, URL_BASE);
  } catch {
    throw new ValidationError('url', `Expected the request target to be a path such as /tasks/a, got \`${target.slice(0, 200)}\``);
  }
}

/**
 * The answer of a request still waiting on Redis. A command that timed out here may still be
 * applied (ioredis sends it once Redis is back), so a change is 504 "outcome unknown", not a
 * failure a client would retry blindly; a read changed nothing and is 503.
 */
function timedOut(mutation: boolean, ms: number): HttpProblem {
  if (mutation) {
    return new HttpProblem(504, ErrorCode.OutcomeUnknown, `Redis did not confirm the change within ${ms} ms; it may still be applied. Check the state before retrying, and send an \`id\` with each task so that a retried POST /tasks is a duplicate, not a second task`);
  }
  return new HttpProblem(503, ErrorCode.RedisUnavailable, `Redis did not answer within ${ms} ms`);
}

async function closeServer(server: Server, metrics: OperatorMetrics): Promise<void> {
  metrics.close();
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if ((await within(closed, CLOSE_GRACE_MS)) === TIMED_OUT) {
    server.closeAllConnections();
    await closed;
  }
}

/**
 * A plain or TLS server with the connection limits set. Node checks the headers and request
 * timeouts on a timer; see checkingIntervalMs for why it is not left at 30 s.
 */
function createListener(o: Resolved, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const settings = {
    headersTimeout: o.limits.headersTimeoutMs,
    requestTimeout: o.limits.requestTimeoutMs,
    keepAliveTimeout: o.limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(o.limits),
  };
  // The headers timeout starts only once the TLS handshake is done; a client that never
  // starts one is cut off by handshakeTimeout, whose default (120 s) would let idle sockets
  // hold every connection slot. It gets the same bound as the headers.
  const server: Server = o.tls
    ? createTlsServer({ ...settings, handshakeTimeout: o.limits.headersTimeoutMs, cert: o.tls.cert, key: o.tls.key }, handler)
    : createServer(settings, handler);
  server.maxConnections = o.limits.maxConnections;
  return server;
}

type Resolved = Required<Omit<OperatorServerOptions, 'runtime' | 'token' | 'readToken' | 'tls' | 'limits' | 'log'>> & {
  runtime: Runtime | null; token: string | null; readToken: string | null; tls: TlsMaterial | null; limits: Required<ServerLimits>; log: Logger | undefined;
};

function resolveServerOptions(options: OperatorServerOptions): Resolved {
  if (typeof options !== 'object' || options === null || typeof options.queue?.stats !== 'function') {
    throw new OptionError('queue', 'Expected `queue` to be a TaskQueue');
  }
  const host = options.host ?? DEFAULT_HTTP_HOST;
  if (typeof host !== 'string' || host.length === 0) throw new OptionError('host', `Expected \`host\` to be a host name or IP address, got \`${String(host)}\``);
  const port = options.port ?? DEFAULT_HTTP_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new OptionError('port', `Expected \`port\` to be an integer from 0 to 65535, got \`${String(port)}\``);
  const token = options.token ?? null;
  const problem = tokenProblem(token, host);
  if (problem === 'malformed') throw new OptionError('token', 'Expected `token` to be 1 to 512 printable ASCII characters without spaces');
  if (problem === 'missing') {
    throw new OptionError('token', `Expected a \`token\` (--http-token, TASKLANE_HTTP_TOKEN) when the server binds ${host}, beyond loopback: otherwise anyone who can reach it could read payloads and results, or enqueue, cancel or replay tasks`);
  }
  const readToken = options.readToken ?? null;
  if (readToken !== null) {
    if (tokenProblem(readToken) === 'malformed') throw new OptionError('readToken', 'Expected `readToken` to be 1 to 512 printable ASCII characters without spaces');
    if (token === null) throw new OptionError('readToken', 'Expected a `token` (--http-token, TASKLANE_HTTP_TOKEN) with `readToken`: a read-only token on a server whose mutations are open would guard reads and leave changes open');
    if (readToken === token) throw new OptionError('readToken', 'Expected `readToken` to differ from `token`: the same secret cannot be both read-only and full');
  }
  const tls = options.tls ?? null;
  if (tls !== null) checkTls(tls);
  const limits = resolveLimits(options.limits);
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1) throw new OptionError('bodyLimitBytes', `Expected \`bodyLimitBytes\` to be an integer from 1 up, got \`${String(bodyLimitBytes)}\``);
  const routeTimeoutMs = options.routeTimeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS;
  if (!Number.isInteger(routeTimeoutMs) || routeTimeoutMs < 1) throw new OptionError('routeTimeoutMs', `Expected \`routeTimeoutMs\` to be an integer from 1 up, got \`${String(routeTimeoutMs)}\``);
  return { queue: options.queue, runtime: options.runtime ?? null, host, port, token, readToken, tls, limits, bodyLimitBytes, routeTimeoutMs, log: options.log };
}

