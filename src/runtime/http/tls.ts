import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { OptionError } from '../../infra/errors.js';

/** A certificate chain and its private key, PEM-encoded, for serving HTTPS. */
export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * Checks that `tls` is a PEM certificate and the matching key, as Node would load them, so a
 * bad pair is an OptionError at creation rather than a server that fails every handshake.
 *
 * @example
 * checkTls({ cert: readFileSync('cert.pem'), key: readFileSync('key.pem') });
 */
export function checkTls(tls: TlsMaterial): void {
  const name = 'tls';
  if (typeof tls !== 'object' || tls === null || !isPem(tls.cert) || !isPem(tls.key)) {
    throw new OptionError(name, `Expected \`${name}\` to be { cert, key }, each a PEM string or Buffer`);
  }
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (err) {
    throw new OptionError(name, `Expected \`${name}\` to hold a PEM certificate and its private key; Node refused them: ${(err as Error).message}`);
  }
}

/**
 * Reads the supervisor's certificate and key files (`--http-tls-cert`, `--http-tls-key`).
 * Both or neither: one alone would silently serve plain HTTP to someone who asked for HTTPS.
 * Every problem is an OptionError naming the flag, its variable and the file.
 *
 * @example
 * loadTlsFiles({ cert: '/etc/tasklane/cert.pem', key: '/etc/tasklane/key.pem' }) // { cert: Buffer, key: Buffer }
 */
export function loadTlsFiles({ cert, key }: { cert?: string; key?: string }): TlsMaterial | null {
  if (cert === undefined && key === undefined) return null;
  if (cert === undefined || key === undefined) {
    const [given, missing] = cert === undefined ? ['--http-tls-key', '--http-tls-cert (TASKLANE_HTTP_TLS_CERT)'] : ['--http-tls-cert', '--http-tls-key (TASKLANE_HTTP_TLS_KEY)'];
    throw new OptionError(missing.split(' ')[0]!, `${given} needs ${missing}: HTTPS takes both the certificate and its key, or neither for plain HTTP`);
  }
  const material = { cert: readPem(cert, '--http-tls-cert', 'TASKLANE_HTTP_TLS_CERT'), key: readPem(key, '--http-tls-key', 'TASKLANE_HTTP_TLS_KEY') };
  try {
    checkTls(material);
  } catch (err) {
    throw new OptionError('--http-tls-cert', `--http-tls-cert (TASKLANE_HTTP_TLS_CERT) \`${cert}\` and --http-tls-key (TASKLANE_HTTP_TLS_KEY) \`${key}\` must be a PEM certificate and its unencrypted PEM private key: ${(err as Error).message}`);
  }
  return material;
}

function readPem(path: string, flag: string, env: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new OptionError(flag, `Cannot read the file of ${flag} (${env}) \`${path}\`: ${(err as Error).message}`);
  }
}

function isPem(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || (Buffer.isBuffer(value) && value.length > 0);
}
