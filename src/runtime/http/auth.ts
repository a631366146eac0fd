import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../../infra/errors.js';
import { isLoopback } from './listen.js';
import { HttpProblem } from './respond.js';

/** What is wrong with a server's token: `malformed`, or `missing` on an address beyond loopback. */
export type TokenProblem = 'malformed' | 'missing';

/**
 * The token rules, for every place a token is configured (the server's options, the
 * supervisor's flags): a token is 1 to 512 printable ASCII characters without spaces (it
 * travels as `Authorization: Bearer <token>`), and a server bound beyond loopback must have
 * one, since anyone who can reach it could otherwise read payloads and results, or enqueue,
 * cancel or replay tasks.
 * Without `host`, only the token's form is checked. Returns null when the rules hold; each
 * caller words the refusal in its own terms (option or flag).
 *
 * @example
 * tokenProblem('s3cret', '0.0.0.0') // null
 * tokenProblem(null, '0.0.0.0')     // 'missing'
 * tokenProblem('has space')         // 'malformed'
 */
export function tokenProblem(token: unknown, host?: string): TokenProblem | null {
  if (token === null || token === undefined) return host === undefined || isLoopback(host) ? null : 'missing';
  return typeof token === 'string' && /^[\x21-\x7e]{1,512}$/.test(token) ? null : 'malformed';
}

/** What a request needs: `read` (GET on a guarded server) or `full` (POST, DELETE). */
export type Need = 'read' | 'full';

/**
 * Checks `Authorization: Bearer <token>` against the full token and, when there is one, the
 * read-only token. Both sides are hashed first, so the comparison is constant-time whatever
 * the lengths, the token's length does not leak either, and both tokens are always compared
 * so the time does not say which one was close. It runs before the body is read. A missing
 * or wrong token is 401; the read-only token on a mutation is 403 (it was recognised, and
 * is not enough).
 *
 * @example
 * const check = bearerCheck('s3cret', 'watch-only');
 * check(req, 'read'); // passes with either token
 * check(req, 'full'); // 403 with the read-only token, 401 without the full one
 */
export function bearerCheck(token: string, readToken: string | null = null): (req: IncomingMessage, need: Need) => void {
  const full = digest(token);
  const read = readToken === null ? null : digest(readToken);
  return (req, need) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!match) throw unauthorized(need === 'full'
      ? 'This request changes the queue: send `Authorization: Bearer <token>` (the supervisor\'s --http-token)'
      : 'This server guards reads: send `Authorization: Bearer <token>` (the supervisor\'s --http-token or --http-read-token)');
    const presented = digest(match[1]!);
    const isFull = timingSafeEqual(presented, full);
    const isRead = read !== null && timingSafeEqual(presented, read);
    if (isFull || (isRead && need === 'read')) return;
    if (isRead) throw new HttpProblem(403, ErrorCode.Forbidden, 'The read-only token (--http-read-token) cannot change the queue: use the full token (--http-token)');
    throw unauthorized('The bearer token is not one of the server\'s tokens');
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
 * loopback server. A page on a DNS name rebound to 127.0.0.1 passes this test (its Origin
 * and Host agree): {@link hostCheck} refuses it first, since a tokenless server is always
 * on loopback. Clients that are not browsers send no Origin and are unaffected.
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
}

/**
 * DNS rebinding guard of a server bound to loopback: refuses every request, reads included,
 * whose `Host` is not a loopback name or address (localhost, 127.x, [::1]) or the bound host.
 * A page on `evil.example` whose DNS name is rebound to 127.0.0.1 reaches the server from
 * the operator's browser as same-origin, so it could read every answer (task payloads, dead
 * letters' errors) and, without a token, change the queue; its requests still name
 * `evil.example` in `Host`, which is what this checks. Returns the check, or null when the
 * server is not on loopback (off loopback a token guards every route but the probes and
 * the dashboard's static files).
 *
 * @example
 * const check = hostCheck('127.0.0.1');
 * check?.(req); // throws a 403 HttpProblem for `Host: evil.example:9464`
 */
export function hostCheck(boundHost: string): ((req: IncomingMessage) => void) | null {
  if (!isLoopback(boundHost)) return null;
  const bound = boundHost.toLowerCase();
  return (req) => {
    const host = req.headers.host;
    if (host === undefined || host === '') {
      throw new HttpProblem(403, ErrorCode.Forbidden, 'This server is on loopback and answers only requests naming a loopback `Host` (localhost, 127.0.0.1, [::1]); the request has no Host header');
    }
    const name = hostName(host).toLowerCase();
    if (isLoopback(name) || name === bound) return;
    throw new HttpProblem(403, ErrorCode.Forbidden, `This server is on loopback and answers only requests naming a loopback \`Host\` (localhost, 127.0.0.1, [::1]), not \`${host.slice(0, 200)}\``);
  };
}

/** `[::1]:9464` → `::1`, `localhost:9464` → `localhost`. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  return bracketed ? bracketed[1]! : host.replace(/:\d+$/, '');
}

function forbidden(message: string): HttpProblem {
  return new HttpProblem(403, ErrorCode.Forbidden, message);
}
