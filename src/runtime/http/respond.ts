import type { ServerResponse } from 'node:http';
import { ErrorCode, TasklaneError, ValidationError, errorBody } from '../../infra/errors.js';

/**
 * A request the server refuses, with its HTTP status and a stable code. Thrown by route
 * handlers and turned into `{ error: { code, message, field? } }` by `sendError`.
 *
 * @example
 * throw new HttpProblem(404, ErrorCode.NotFound, 'no task `a`');
 */
export class HttpProblem extends TasklaneError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = 'HttpProblem';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Sends a JSON body. `no-store`: every answer is live state.
 *
 * @example
 * sendJson(res, 200, { ok: true });
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Maps what a handler threw to an HTTP answer: an HttpProblem as it says, the library's
 * validation errors as 400 with their field, a closed queue as 503, anything else as 500
 * (whose details go to the log, not to the client). Returns the status sent.
 *
 * @example
 * try { await route(ctx); } catch (err) { sendError(res, err, log); }
 */
export function sendError(res: ServerResponse, err: unknown, onInternal: (err: unknown) => void): number {
  if (err instanceof HttpProblem) {
    sendJson(res, err.status, errorBody(err), { ...err.headers });
    return err.status;
  }
  if (err instanceof ValidationError) {
    sendJson(res, 400, errorBody(err));
    return 400;
  }
  if (err instanceof TasklaneError && err.code === ErrorCode.Closed) {
    sendJson(res, 503, errorBody({ code: err.code, message: 'the server is shutting down' }));
    return 503;
  }
  onInternal(err);
  sendJson(res, 500, errorBody({ code: ErrorCode.Internal, message: 'internal error; see the server log' }));
  return 500;
}
