import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HandlerMap } from '../actors/types.js';
import { OptionError } from '../infra/errors.js';
import { emptyApiCalls, type ApiCallCounts } from '../infra/api/api-calls.js';
import { createHttpHandler } from '../infra/api/external-api.js';
import { emptyGuardCounts, type GuardCounts } from '../infra/api/guard-counts.js';
import { checkGuardSpecs, RuntimeGuards, type ApiGuardConfig, type GuardSpec } from './guards.js';

/** The handlers of one process, and how to let go of what they hold (the HTTP pool). */
export interface HandlerSet {
  readonly handlers: HandlerMap;
  close(): Promise<void>;
  /** Calls the `http` handler made to the external API, by outcome class; zeros without one. */
  apiCalls(): ApiCallCounts;
  /** 429s and permit waits of this process's API guards, cumulative; zeros without any. */
  guardCounts(): GuardCounts;
  /** The API guards; attach them to the queue's Redis before the handlers run. Null without any. */
  readonly guards: RuntimeGuards | null;
}

/** Only the module's own entries are checked; the `http` settings play no part. */
const DEFAULT_CHECK_CONFIG = { rate: null, maxInFlight: 0, breaker: false, threshold: 0.5, cooldownMs: 2000, maxThrottles: 0 };

/** How buildHandlers guards external APIs: the runtime's `http` settings and the short-lane default deadline. */
export interface GuardSettings {
  apiGuard: ApiGuardConfig;
  taskTimeoutMs: number;
}

/**
 * Builds a process's handler map: `http` when an API URL is given, then the types of the
 * handlers module (or map), which win over `http` so an app can replace it.
 *
 * @example
 * const { handlers, close } = await buildHandlers({ apiUrl: 'http://127.0.0.1:8080/tasks', handlers: './handlers.js' });
 */
export async function buildHandlers({ apiUrl, apiTimeoutMs, handlers, guard }: { apiUrl: string | null; apiTimeoutMs?: number; handlers: string | HandlerMap | null; guard?: GuardSettings }): Promise<HandlerSet> {
  // Load the module first: if it fails there is no HTTP pool to close.
  const own = typeof handlers === 'string' ? await loadHandlerModule(handlers) : handlers ?? {};
  const specs = typeof handlers === 'string' ? await loadGuardSpecs(handlers) : {};
  const guards = guard ? new RuntimeGuards(guard.apiGuard, specs, guard.taskTimeoutMs) : null;
  const httpGuard = guards?.httpGuarded ? () => guards.use('http') : undefined;
  const http = apiUrl ? createHttpHandler({ url: apiUrl, guard: httpGuard, ...(apiTimeoutMs === undefined ? {} : { apiTimeoutMs }) }) : null;
  const map = Object.freeze({ ...(http ? { http } : {}), ...own });
  return {
    handlers: guards ? guards.wrap(map) : map,
    close: async () => {
      guards?.close();
      await http?.close();
    },
    apiCalls: () => http?.calls() ?? emptyApiCalls(),
    guardCounts: () => guards?.counts() ?? emptyGuardCounts(),
    guards,
  };
}

/**
 * The `guards` export of a handlers module (an API name → its limits and the task types
 * that call it), checked; `{}` when it has none. The module is imported once per process.
 *
 * @example
 * // handlers.mjs: export const guards = { images: { rate: '10/s', types: ['resize'] } };
 * await loadGuardSpecs('/srv/app/handlers.mjs') // { images: { rate: '10/s', types: ['resize'] } }
 */
export async function loadGuardSpecs(path: string): Promise<Record<string, GuardSpec>> {
  const url = path.startsWith('file:') ? path : pathToFileURL(path).href;
  const mod = (await import(url)) as { guards?: unknown };
  return checkGuardSpecs(mod.guards, path);
}

/**
 * The task types this runtime's workers will handle, checking the handlers module by
 * importing it once in this process (the workers import it again on their own).
 * Throws the OptionError of loadHandlerModule.
 *
 * @example
 * const types = await checkHandlers({ apiUrl: null, handlers: '/srv/app/handlers.js' }); // Set { 'resize' }
 */
export async function checkHandlers({ apiUrl, handlers }: { apiUrl: string | null; handlers: string | HandlerMap | null }): Promise<Set<string>> {
  const own = typeof handlers === 'string' ? await loadHandlerModule(handlers) : handlers ?? {};
  if (typeof handlers === 'string') {
    // A bad `guards` export fails here, once, rather than in every worker (a crash loop).
    const specs = await loadGuardSpecs(handlers);
    new RuntimeGuards(DEFAULT_CHECK_CONFIG, specs, 1).wrap(own);
  }
  return new Set([...(apiUrl ? ['http'] : []), ...Object.keys(own)]);
}

/**
 * Imports a handlers module: its default export maps task type → handler function.
 *
 * @example
 * // handlers.mjs: export default { resize: async (task, ctx) => resize(task.payload, ctx.signal) };
 * const map = await loadHandlerModule('/srv/app/handlers.mjs');
 */
export async function loadHandlerModule(path: string): Promise<HandlerMap> {
  const url = path.startsWith('file:') ? path : pathToFileURL(path).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (err) {
    const wrapped = new OptionError('handlers', `Could not load the handlers module \`${path}\`: ${importFailure(err, url)}`);
    (wrapped as { cause?: unknown }).cause = err;
    throw wrapped;
  }
  const map = mod.default;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new OptionError('handlers', `Expected the default export of \`${path}\` to be an object mapping task type → handler function, got ${map === null ? 'null' : Array.isArray(map) ? 'an array' : typeof map}`);
  }
  for (const [type, handler] of Object.entries(map)) {
    if (typeof handler !== 'function') {
      throw new OptionError('handlers', `Expected \`${type}\` in the default export of \`${path}\` to be a handler function, got ${typeof handler}`);
    }
  }
  return map as HandlerMap;
}

/**
 * Why an import failed, without repeating the path the caller already names: Node's own
 * message for a missing file quotes the path and the importing module (ours, in dist/).
 */
function importFailure(err: unknown, url: string): string {
  if (!(err instanceof Error)) return `it threw a non-error: ${String(err)}`;
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`'${fileURLToPath(url)}'`)) return 'no such file';
  if (code === 'ERR_UNSUPPORTED_DIR_IMPORT') return 'it is a directory; name the module file itself';
  if (typeof code === 'string' && code.startsWith('ERR_')) return err.message.replace(/ imported from \S+$/, '');
  return `it threw on import: ${err.name}: ${err.message}`;
}
