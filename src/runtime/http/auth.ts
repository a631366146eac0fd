import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../../infra/errors.js';
import { isLoopback } from './listen.js';
import { HttpProblem } from './respond.js';

/**
 * Checks `Authorization: Bearer <token>`. Both sides are hashed first, so the comparison is
 * constant-time whatever the lengths, and the token's length does not leak either.
 *
 * @example
 * const check = bearerCheck('s3cret');
 * check(req); // throws a 401 HttpProblem unless the header carries the token
 */
export function bearerCheck(token: string): (req: IncomingMessage) => void {
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!match) throw unauthorized('This request changes the queue: send `Authorization: Bearer <token>` (the supervisor\'s --http-token)');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw unauthorized('The bearer token is not the server\'s token');
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function unauthorized(message: string): HttpProblem {
  return new HttpProblem(401, ErrorCode.Unauthorized, message, { 'www-authenticate': 'Bearer realm="tasklane"' });
}

/**
 * Refuses mutations a web page in the operator's browser could forge on a server without a
 * token (a forged request cannot carry a bearer token, so tokened servers need no check). Browsers send
 * `Origin` on every cross-origin POST, and a "simple" POST (no JSON content type) needs no
 * CORS preflight, so without this any page could replay dead letters on a tokenless
 * loopback server. A page on a DNS name rebound to 127.0.0.1 would pass the origin test
 * (its Origin and Host agree), so a browser request must also name a loopback Host.
 * Clients that are not browsers send no Origin and are unaffected.
 *
 * @example
 * checkOrigin(req); // throws a 403 HttpProblem for a cross-site request
 */
export function checkOrigin(req: IncomingMessage): void {
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost !== host) throw forbidden(`Cross-origin requests may not change the queue (Origin \`${origin}\`, Host \`${host}\`)`);
  } else if (origin === 'null') {
    throw forbidden('Requests from an opaque origin may not change the queue');
  }
  if (origin !== undefined && !isLoopback(hostName(host))) {
    throw forbidden(`Without a token this server accepts browser changes only via a loopback address, not Host \`${host}\``);
  }
}

/** `[::1]:9464` → `::1`, `localhost:9464` → `localhost`. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  return bracketed ? bracketed[1]! : host.replace(/:\d+$/, '');
}

function forbidden(message: string): HttpProblem {
  return new HttpProblem(403, ErrorCode.Unauthorized, message);
}
