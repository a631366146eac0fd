import { pathToFileURL } from 'node:url';
import type { HandlerMap } from '../actors/types.js';
import { OptionError } from '../infra/errors.js';
import { emptyApiCalls, type ApiCallCounts } from '../infra/api-calls.js';
import { createHttpHandler } from '../infra/external-api.js';

/** The handlers of one process, and how to let go of what they hold (the HTTP pool). */
export interface HandlerSet {
  readonly handlers: HandlerMap;
  close(): Promise<void>;
  /** Calls the `http` handler made to the external API, by outcome class; zeros without one. */
  apiCalls(): ApiCallCounts;
}

/**
 * Builds a process's handler map: `http` when an API URL is given, then the types of the
 * handlers module (or map), which win over `http` so an app can replace it.
 *
 * @example
 * const { handlers, close } = await buildHandlers({ apiUrl: 'http://127.0.0.1:8080/tasks', handlers: './handlers.js' });
 */
export async function buildHandlers({ apiUrl, apiTimeoutMs, handlers }: { apiUrl: string | null; apiTimeoutMs?: number; handlers: string | HandlerMap | null }): Promise<HandlerSet> {
  // Load the module first: if it fails there is no HTTP pool to close.
  const own = typeof handlers === 'string' ? await loadHandlerModule(handlers) : handlers ?? {};
  const http = apiUrl ? createHttpHandler({ url: apiUrl, ...(apiTimeoutMs === undefined ? {} : { apiTimeoutMs }) }) : null;
  return {
    handlers: Object.freeze({ ...(http ? { http } : {}), ...own }),
    close: async () => {
      await http?.close();
    },
    apiCalls: () => http?.calls() ?? emptyApiCalls(),
  };
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
    const reason = err instanceof Error ? err.message : String(err);
    const wrapped = new OptionError('handlers', `Could not load the handlers module \`${path}\`: ${reason}`);
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
