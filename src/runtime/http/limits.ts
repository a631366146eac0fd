/**
 * The operator server's connection limits. Node's own defaults suit a server that nothing
 * hostile reaches: 60 s to send headers, checked every 30 s, and no cap on connections, so
 * a client dribbling header bytes (slowloris) holds a socket for a minute or more, and a
 * few thousand of them hold the process. These are set explicitly instead.
 */
import { OptionError } from '../../infra/errors.js';

/** Connection limits of the operator server, all in milliseconds but `maxConnections`. */
export interface ServerLimits {
  /** Time a client has to send its complete request headers. Default 10000. */
  headersTimeoutMs?: number;
  /** Time a client has to send its complete request, body included. Default 30000; at least `headersTimeoutMs`. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open after an answer. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** Open connections at most; more are closed as they arrive. Default 1000. */
  maxConnections?: number;
}

/**
 * The limits when none are given: 10 s for headers (a real client sends them in one
 * packet), 30 s for a whole request (a 1 MiB upload over a slow link), 5 s of keep-alive
 * (long enough for a scraper's or a dashboard's next request to reuse the connection), and
 * 1000 connections (far more than an operator server needs, far below the process's file
 * descriptors). Behind a proxy that reuses idle connections, give the proxy a shorter idle
 * timeout than `keepAliveTimeoutMs`, so it never sends on a socket the server is closing.
 *
 * @example
 * createOperatorServer({ queue, limits: { ...DEFAULT_SERVER_LIMITS, maxConnections: 100 } });
 */
export const DEFAULT_SERVER_LIMITS: Readonly<Required<ServerLimits>> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
};

const HOUR = 3_600_000;

/**
 * Validates `limits` and fills in the defaults; an OptionError names the field
 * (`limits.headersTimeoutMs`) and its range.
 *
 * @example
 * resolveLimits({ headersTimeoutMs: 500 }).requestTimeoutMs // 30000
 */
export function resolveLimits(limits: ServerLimits | undefined): Required<ServerLimits> {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) throw new OptionError('limits', 'Expected `limits` to be an object');
  const l = limits ?? {};
  const resolved = {
    headersTimeoutMs: int(l.headersTimeoutMs, 'headersTimeoutMs', 1, HOUR),
    requestTimeoutMs: int(l.requestTimeoutMs, 'requestTimeoutMs', 1, HOUR),
    keepAliveTimeoutMs: int(l.keepAliveTimeoutMs, 'keepAliveTimeoutMs', 1, HOUR),
    maxConnections: int(l.maxConnections, 'maxConnections', 1, 1_000_000),
  };
  if (resolved.requestTimeoutMs < resolved.headersTimeoutMs) {
    // Node refuses it too, with a message that names neither option.
    throw new OptionError('limits.requestTimeoutMs', `Expected \`limits.requestTimeoutMs\` (${resolved.requestTimeoutMs}) to be at least \`limits.headersTimeoutMs\` (${resolved.headersTimeoutMs}): the request includes its headers`);
  }
  return resolved;
}

/**
 * How often Node looks for connections past their headers or request timeout. Its default
 * is 30 s, which would let a slow client keep a socket for up to 30 s beyond the timeout;
 * a pass over the open connections is cheap, so it runs at least once a second.
 *
 * @example
 * checkingIntervalMs({ headersTimeoutMs: 10_000 }) // 1000
 */
export function checkingIntervalMs(limits: Required<ServerLimits>): number {
  return Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)));
}

function int(value: unknown, name: keyof ServerLimits, min: number, max: number): number {
  if (value === undefined) return DEFAULT_SERVER_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(`limits.${name}`, `Expected \`limits.${name}\` to be an integer from ${min} to ${max}, got \`${String(value)}\``);
  }
  return value;
}
