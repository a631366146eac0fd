// HTTPS: the operator server with a self-signed certificate made here with openssl; the
// token rules over TLS; plain HTTP to the TLS port fails; the supervisor's TLS flags.
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { parseCli } from '../../dist/runtime/config.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';
import { killAll, startSupervisor } from '../helpers/supervisor.mjs';

const FULL = 'tls-full-token';
const READ = 'tls-read-token';

/** A self-signed certificate for localhost and 127.0.0.1, in a temp dir. */
function makeCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err.code === 'ENOENT') throw new Error('openssl is not installed: install openssl (apt-get install openssl) to run the TLS tests');
    throw err;
  }
  return { dir, certPath: cert, keyPath: key, cert: readFileSync(cert), key: readFileSync(key) };
}

/** One HTTPS request trusting `ca` only. */
function secureGet(url, path, { ca, headers = {}, method = 'GET' } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ hostname, port, path, method, headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

const test = suite('http: TLS');
const ctx = {};

test.before(() => {
  ctx.tls = makeCertificate();
});

test.after(() => {
  killAll();
  if (ctx.tls) rmSync(ctx.tls.dir, { recursive: true, force: true });
});

test('HTTPS with the CA trusted works; the token rules hold; plain HTTP to the port fails', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('tls') });
  queue.on('queue:warning', () => {});
  await queue.enqueue({ id: 'secret', payload: 'over-tls' });
  const server = createOperatorServer({ queue, host: '0.0.0.0', port: 0, token: FULL, readToken: READ, tls: { cert: ctx.tls.cert, key: ctx.tls.key } });
  try {
    const { url } = await server.listen();
    assert.match(url, /^https:\/\//);
    const base = url.replace('0.0.0.0', 'localhost');
    const ca = ctx.tls.cert;
    let r = await secureGet(base, '/tasks/secret', { ca, headers: { authorization: `Bearer ${READ}` } });
    assert.is(r.status, 200);
    assert.is(r.json.payload, 'over-tls');
    r = await secureGet(base, '/tasks/secret', { ca });
    assert.is(r.status, 401);
    r = await secureGet(base, '/healthz', { ca });
    assert.is(r.status, 200);
    r = await secureGet(base, '/tasks/secret', { ca, method: 'DELETE', headers: { authorization: `Bearer ${READ}` } });
    assert.is(r.status, 403);
    r = await secureGet(base, '/tasks/secret', { ca, method: 'DELETE', headers: { authorization: `Bearer ${FULL}` } });
    assert.is(r.status, 200);
    // Without the CA the certificate is not trusted.
    await secureGet(base, '/healthz').then(() => assert.unreachable('an untrusted certificate was accepted'), (err) => assert.match(err.code, /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/));
    // Plain HTTP to the TLS port gets no HTTP answer: the handshake fails and the socket is reset.
    const plain = await send(base.replace('https:', 'http:'), 'GET', '/healthz').then((res) => `HTTP ${res.status}`, (err) => err.code ?? err.message);
    assert.is(plain, 'ECONNRESET', `plain HTTP got: ${plain}`);
  } finally {
    await server.close();
    await queue.close();
  }
});

test('regression: a client that never starts the TLS handshake is cut off by the headers timeout, not after 120 s', async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('tls-idle') });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0, tls: { cert: ctx.tls.cert, key: ctx.tls.key }, limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
  try {
    const { url } = await server.listen();
    const { hostname, port } = new URL(url);
    const started = Date.now();
    // A raw TCP connection that sends nothing: no handshake, so no HTTP parser and no headers timer.
    const closedAfterMs = await new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the idle socket was still open after 10 s'));
      }, 10_000).unref();
    });
    assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);
  } finally {
    await server.close();
    await queue.close();
  }
});

test('a bad tls option is an OptionError naming tls', () => {
  const queue = { stats: () => {} };
  for (const tls of [{ cert: ctx.tls.cert }, { cert: 'not a pem', key: 'nor this' }, { cert: ctx.tls.cert, key: ctx.tls.cert }]) {
    assert.throws(() => createOperatorServer({ queue, tls }), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === 'tls');
  }
});

test('parseCli: --http-tls-cert and --http-tls-key, both or neither; an unreadable file is named', () => {
  const { certPath, keyPath } = ctx.tls;
  const http = parseCli(['--http', '0', '--http-tls-cert', certPath, '--http-tls-key', keyPath], {}).http;
  assert.ok(Buffer.isBuffer(http.tls.cert) && Buffer.isBuffer(http.tls.key));
  assert.ok(parseCli(['--http', '0'], { TASKLANE_HTTP_TLS_CERT: certPath, TASKLANE_HTTP_TLS_KEY: keyPath }).http.tls);
  assert.is(parseCli(['--http', '0'], {}).http.tls, null);
  assert.throws(() => parseCli(['--http', '0', '--http-tls-cert', certPath], {}), (err) => err.option === '--http-tls-key' && /TASKLANE_HTTP_TLS_KEY/.test(err.message) && /both/.test(err.message));
  assert.throws(() => parseCli(['--http', '0'], { TASKLANE_HTTP_TLS_KEY: keyPath }), (err) => err.option === '--http-tls-cert' && /TASKLANE_HTTP_TLS_CERT/.test(err.message));
  const missing = join(ctx.tls.dir, 'nope.pem');
  assert.throws(() => parseCli(['--http', '0', '--http-tls-cert', missing, '--http-tls-key', keyPath], {}), (err) => err.option === '--http-tls-cert' && err.message.includes(missing) && /ENOENT/.test(err.message));
  const garbage = join(ctx.tls.dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  assert.throws(() => parseCli(['--http', '0', '--http-tls-cert', garbage, '--http-tls-key', keyPath], {}), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && /PEM/.test(err.message));
  assert.throws(() => parseCli(['--http-tls-cert', certPath, '--http-tls-key', keyPath], {}), (err) => err.option === '--http-tls-cert' && /needs --http/.test(err.message));
});

test('the supervisor serves HTTPS with the flags, and exits 2 with only one of them', async () => {
  const { certPath, keyPath, cert } = ctx.tls;
  let sup = startSupervisor(['--http', '127.0.0.1:0', '--http-tls-key', keyPath, '--redis', realRedisUrl(), '--short', '0', '--long', '0'], { env: {} });
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /--http-tls-cert/);
  sup = startSupervisor(['--http', '127.0.0.1:0', '--http-tls-cert', certPath, '--http-tls-key', keyPath, '--redis', realRedisUrl(), '--queue', uniqueName('tls'), '--short', '0', '--long', '0']);
  try {
    const line = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    assert.match(line.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.is(line.tls, true);
    const r = await secureGet(line.url.replace('127.0.0.1', 'localhost'), '/healthz', { ca: cert });
    assert.is(r.status, 200);
  } finally {
    await sup.stop('SIGTERM');
  }
});

test.run();
