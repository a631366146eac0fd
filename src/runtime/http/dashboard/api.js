// Talks to the tasklane HTTP server: the overview, and the dead-letter mutations. Every
// request carries the token (when one was entered) as a Bearer header: a server beyond
// loopback, or one with a read-only token, wants it for reads too.

const TOKEN_KEY = 'tasklane.token';
const TIMEOUT_MS = 5000;

/** The server answered with an error status; `code`/`message` come from its JSON body. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The server could not be reached (down, restarting, or too slow). */
export class OfflineError extends Error {
  constructor(cause) {
    super('the server did not answer', { cause });
    this.name = 'OfflineError';
  }
}

// sessionStorage: the token survives a reload but not the tab, and never reaches disk
// beyond the browser's session. Storage can throw (disabled, sandboxed): treat as empty.
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Not persisted; the field still holds it for this page.
  }
}

async function request(method, path) {
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', signal: controller.signal });
  } catch (err) {
    throw new OfflineError(err);
  } finally {
    clearTimeout(timer);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body && typeof body === 'object' ? body.error : null;
    throw new ApiError(response.status, error?.code ?? null, error?.message ?? `${response.status} ${response.statusText}`);
  }
  return body;
}

export const fetchOverview = () => request('GET', '/overview');
// Per-id dead-letter actions name the id in the query, never as a path segment: the browser's
// URL parser turns `/dead/%2E/retry` into `/dead/retry` (every dead letter) and `/dead/%2E%2E` into `/`.
const idQuery = (id) => `?id=${encodeURIComponent(id)}`;
export const retryDead = (id) => request('POST', `/dead/retry${idQuery(id)}`);
export const retryAllDead = () => request('POST', '/dead/retry');
export const purgeDead = (id) => request('DELETE', `/dead${idQuery(id)}`);
export const pauseLane = (lane) => request('POST', `/pause?lane=${encodeURIComponent(lane)}`);
export const resumeLane = (lane) => request('POST', `/resume?lane=${encodeURIComponent(lane)}`);
// The task browser (tasks.js): pages of a state, one task by id, and cancelling one.
export const listTasks = (query) => request('GET', `/tasks?${new URLSearchParams(query)}`);
// By query, not path: a browser rewrites `/tasks/%2E` to `/tasks`, so the ids `.` and `..` are
// reachable only this way (the server answers `?id=` exactly as `/tasks/:id`).
export const getTask = (id) => request('GET', `/tasks?${new URLSearchParams({ id })}`);
export const cancelTask = (id) => request('DELETE', `/tasks?${new URLSearchParams({ id })}`);
