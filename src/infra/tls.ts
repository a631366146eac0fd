/**
 * TLS to Redis signed by a private CA. A rediss:// URL alone trusts Node's default store
 * (public CAs, plus NODE_EXTRA_CA_CERTS); an operator whose Redis presents a certificate
 * of their own CA names that CA's PEM file, and every connection trusts it instead.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { RedisInput } from './connection.js';
import { OptionError } from './errors.js';

/** Where a CA problem is reported: the option (or flag) and how the message names it. */
export interface CaSource {
  /** `OptionError.option`, e.g. `redisTlsCa` or `--redis-tls-ca`. */
  readonly option: string;
  /** How the message names it, e.g. ``--redis-tls-ca` (TASKLANE_REDIS_TLS_CA)`. */
  readonly label: string;
}

const OPTION: CaSource = { option: 'redisTlsCa', label: '`redisTlsCa`' };

/**
 * Reads a CA bundle (PEM) and checks that it holds at least one certificate. Throws an
 * OptionError naming the option when the file cannot be read or is not PEM, so a typo
 * fails at start-up rather than as a TLS handshake error on every reconnect.
 *
 * @example
 * const ca = readTlsCa('/etc/ssl/private-ca.pem'); // '-----BEGIN CERTIFICATE-----…'
 */
export function readTlsCa(path: string, source: CaSource = OPTION): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new OptionError(source.option, `Expected ${source.label} to be a readable PEM file of CA certificates, could not read \`${path}\` (${reason})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new OptionError(source.option, `Expected ${source.label} to be a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), got \`${path}\` without one`);
  }
  return pem;
}

/**
 * Refuses a CA with a Redis that is not reached over TLS: a redis:// URL or a socket path
 * would ignore it, and the operator meant the traffic to be encrypted. Options objects
 * pass (the CA turns their TLS on).
 *
 * @example
 * checkTlsTarget('redis://db:6379', { option: '--redis-tls-ca', label: '--redis-tls-ca' }); // throws
 */
export function checkTlsTarget(redis: RedisInput | undefined, source: CaSource = OPTION): void {
  if (typeof redis === 'string' && !redis.startsWith('rediss://')) {
    throw new OptionError(source.option, `${source.label} needs a rediss:// URL (TLS); the Redis URL given is not one, so the CA would be ignored`);
  }
}

/**
 * The TLS settings a client uses: `tls` over those of `redis` (when it is an options
 * object), or undefined when nothing is to be changed.
 *
 * @example
 * mergeTls('rediss://db:6380', { ca }) // { ca }
 */
export function mergeTls(redis: RedisInput | undefined, tls: ConnectionOptions | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  const own = typeof redis === 'object' && redis !== null && 'tls' in redis ? (redis.tls as ConnectionOptions | undefined) : undefined;
  return { ...own, ...tls };
}
