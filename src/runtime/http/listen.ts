import { isIP } from 'node:net';

/** Where the operator HTTP server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Loopback unless said otherwise: the server can enqueue and replay tasks. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/**
 * Parses `PORT`, `HOST:PORT` or `[IPv6]:PORT`; null when it is none of them.
 *
 * @example
 * parseListen('9464')          // { host: '127.0.0.1', port: 9464 }
 * parseListen('0.0.0.0:9464')  // { host: '0.0.0.0', port: 9464 }
 * parseListen('[::1]:0')       // { host: '::1', port: 0 }
 */
export function parseListen(text: string): ListenAddress | null {
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):)?(\d{1,5})$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65_535) return null;
  const host = match[1] ?? match[2] ?? DEFAULT_HTTP_HOST;
  if (match[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`.
 * Anything else, including 0.0.0.0 and ::, may be reachable from the network.
 *
 * @example
 * isLoopback('127.0.0.1') // true
 * isLoopback('0.0.0.0')   // false
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) return isLoopback(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The URL of a bound address, with IPv6 in brackets; https:// when it serves TLS.
 *
 * @example
 * urlOf('::1', 9464)       // 'http://[::1]:9464'
 * urlOf('::1', 9464, true) // 'https://[::1]:9464'
 */
export function urlOf(host: string, port: number, tls = false): string {
  return `${tls ? 'https' : 'http'}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
