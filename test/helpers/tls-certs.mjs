// Throwaway certificates for TLS tests, made by `openssl` in a temporary directory: a CA,
// and a server certificate it signed for 127.0.0.1 and localhost (subjectAltName).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Throws with install instructions unless `openssl` is on PATH. */
function assertOpensslInstalled() {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('openssl is not on PATH, and the TLS tests need it to make their certificates. Install it, e.g. `sudo apt-get install -y openssl` (Debian/Ubuntu) or `brew install openssl` (macOS).');
  }
}

function openssl(dir, args) {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${run.error?.message ?? run.stderr}`);
}

/**
 * Makes a CA (`ca`) and a server certificate and key it signed (`cert`, `key`), plus a
 * second CA that signed nothing (`otherCa`), for testing that a wrong CA is refused.
 * `remove()` deletes the directory.
 *
 * @example
 * const certs = makeTestCerts();
 * const redis = await startRedisServer({ tls: certs });
 * // ...
 * await redis.stop(); certs.remove();
 */
export function makeTestCerts() {
  assertOpensslInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-certs-'));
  const days = ['-days', '2'];
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', ...days, '-subj', '/CN=tasklane test CA']);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', ...days, '-subj', '/CN=tasklane other CA']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', ...days, '-extfile', 'san.ext']);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
