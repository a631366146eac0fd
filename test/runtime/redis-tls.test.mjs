// rediss://user:password@host:port with a private CA (--redis-tls-ca / TASKLANE_REDIS_TLS_CA):
// the supervisor and its worker processes, the HTTP server and the CLI, against a private
// TLS-only redis-server whose certificates openssl makes here. The password never shows in
// a log line, an error, or a worker's command line.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCli } from '../../dist/runtime/config.js';
import { uniqueName } from '../helpers/backends.mjs';
import { cli } from '../helpers/cli.mjs';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';
import { makeTestCerts } from '../helpers/tls-certs.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-flaky.mjs', import.meta.url));
const PASSWORD = 'Tls-pw-7q3z9x';

const test = suite('rediss:// with a private CA');
let certs;
let redis;
/** rediss://app:PASSWORD@127.0.0.1:PORT */
let url;

test.before(async () => {
  certs = makeTestCerts();
  redis = await startRedisServer({ tls: certs, users: ['default on >admin-pw ~* &* +@all', `app on >${PASSWORD} ~* &* +@all`] });
  url = redis.url.replace('rediss://', `rediss://app:${PASSWORD}@`);
});
test.after(async () => {
  killAll();
  await redis?.stop();
  certs?.remove();
});

test('--redis-tls-ca and TASKLANE_REDIS_TLS_CA: a missing file, a non-PEM file or a redis:// URL are refused naming the flag', async () => {
  assert.throws(() => parseCli(['--redis', url, '--redis-tls-ca', '/nonexistent/ca.pem'], {}),
    (err) => err.option === '--redis-tls-ca' && /TASKLANE_REDIS_TLS_CA/.test(err.message) && /ENOENT/.test(err.message));
  assert.throws(() => parseCli(['--redis', url], { TASKLANE_REDIS_TLS_CA: certs.key }),
    (err) => err.option === '--redis-tls-ca' && /PEM file of CA certificates/.test(err.message));
  assert.throws(() => parseCli(['--redis', 'redis://127.0.0.1:1', '--redis-tls-ca', certs.ca], {}),
    (err) => err.option === '--redis-tls-ca' && /needs a rediss:\/\/ URL/.test(err.message));
  assert.equal(parseCli(['--redis', url, '--redis-tls-ca', certs.ca], {}).options.redisTlsCa, certs.ca);
  // A URL typed without its scheme is refused without echoing its password.
  assert.throws(() => parseCli(['--redis', `app:${PASSWORD}@127.0.0.1:6379`], {}),
    (err) => err.option === '--redis' && err.message.includes('app:***@127.0.0.1:6379') && !err.message.includes(PASSWORD));
  const noScheme = await cli(['stats', '--redis', `app:${PASSWORD}@127.0.0.1:6379`]);
  assert.is(noScheme.code, 2);
  assert.not.ok(noScheme.stderr.includes(PASSWORD), noScheme.stderr);

  const cliBad = await cli(['stats', '--redis', 'redis://127.0.0.1:1', '--redis-tls-ca', certs.ca, '--json']);
  assert.is(cliBad.code, 2);
  assert.is(cliBad.json.error.code, 'TASKLANE_ERR_INVALID_OPTION');
  assert.match(cliBad.json.error.message, /--redis-tls-ca \(TASKLANE_REDIS_TLS_CA\) needs a rediss:\/\/ URL/);
  const cliMissing = await cli(['stats', '--redis', url], { env: { TASKLANE_REDIS_TLS_CA: '/nonexistent/ca.pem' } });
  assert.is(cliMissing.code, 2);
  assert.match(cliMissing.stderr, /--redis-tls-ca \(TASKLANE_REDIS_TLS_CA\)/);
});

test('the CLI over rediss:// trusts the CA it is given, and only it; the password never shows', async () => {
  const queue = uniqueName('tls-cli');
  const flags = ['--redis', url, '--queue', queue];
  const enq = await cli(['enqueue', '--id', 'a', '--type', 'echo', '--payload', 'null', ...flags, '--redis-tls-ca', certs.ca, '--json']);
  assert.is(enq.code, 0, enq.stderr);
  assert.equal(enq.json, { id: 'a', duplicate: false });
  // The same through the environment, with the URL in REDIS_URL rather than on the command line.
  const stats = await cli(['stats', '--queue', queue, '--json'], { env: { REDIS_URL: url, TASKLANE_REDIS_TLS_CA: certs.ca } });
  assert.is(stats.code, 0, stats.stderr);
  assert.is(stats.json.waiting.short, 1);
  assert.is(stats.stderr, '', 'no warning: the eviction policy was read');

  // Node's default store does not know the private CA, and neither does another CA: exit 3.
  const untrusted = await cli(['stats', ...flags]);
  assert.is(untrusted.code, 3);
  assert.match(untrusted.stderr, /certificate/i);
  const otherCa = await cli(['stats', ...flags, '--redis-tls-ca', certs.otherCa]);
  assert.is(otherCa.code, 3);
  assert.match(otherCa.stderr, /certificate/i);
  const wrongPassword = await cli(['stats', '--redis', url.replace(PASSWORD, 'Wrong-pw-1x'), '--queue', queue, '--redis-tls-ca', certs.ca]);
  assert.is(wrongPassword.code, 3);
  assert.match(wrongPassword.stderr, /WRONGPASS/);
  assert.match(wrongPassword.stderr, /rediss:\/\/app:\*\*\*@127\.0\.0\.1/);
  for (const run of [enq, stats, untrusted, otherCa, wrongPassword]) {
    assert.not.ok(run.stdout.includes(PASSWORD) || run.stderr.includes(PASSWORD), 'the password is printed');
  }
  assert.not.ok(wrongPassword.stderr.includes('Wrong-pw-1x'), 'the wrong password is printed');
});

test('the supervisor, its worker processes and --http over rediss:// with REDIS_URL and TASKLANE_REDIS_TLS_CA', async () => {
  const queue = uniqueName('tls-sup');
  const sup = startSupervisor(['--queue', queue, '--short', '1', '--long', '1', '--handlers', HANDLERS, '--http', '0', '--drain-timeout', '2s'], {
    env: { REDIS_URL: url, TASKLANE_REDIS_TLS_CA: certs.ca },
  });
  try {
    const { url: http } = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    await eventually(async () => (await fetch(`${http}/readyz`)).status === 200, { what: '/readyz 200' });
    assert.is(sup.liveWorkerPids().length, 2);
    const post = await fetch(`${http}/tasks`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 's1', type: 'echo', payload: { n: 1 } }, { id: 'l1', type: 'echo', lane: 'long' }, { id: 'r1', type: 'flaky' }]),
    });
    assert.is(post.status, 201);
    for (const id of ['s1', 'l1', 'r1']) {
      const task = await eventually(async () => {
        const t = await (await fetch(`${http}/tasks/${id}`)).json();
        return t.state === 'completed' && t;
      }, { what: `${id} completed` });
      assert.is(task.state, 'completed');
    }
    const stats = await (await fetch(`${http}/stats`)).json();
    assert.is(stats.active, 0);
    assert.is(stats.completed, 3);
    // Workers get their settings in the environment: the URL is not on their command line.
    for (const pid of sup.liveWorkerPids()) {
      assert.not.ok(readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(PASSWORD), `worker ${pid}'s command line shows the password`);
    }
    const { code } = await sup.stop('SIGTERM');
    assert.is(code, 0);
    const starting = sup.logs.find((l) => l.msg === 'supervisor starting');
    assert.is(starting.redis, redis.url.replace('rediss://', 'rediss://app:***@'));
    assert.not.ok(sup.stdout.includes(PASSWORD) || sup.stderr.includes(PASSWORD), 'a log line shows the password');
    assert.not.ok(sup.logs.some((l) => l.level >= 40), `warnings or errors logged: ${sup.logs.filter((l) => l.level >= 40).map((l) => l.msg).join('; ')}`);
  } finally {
    await sup.stop('SIGKILL');
  }
});

test.run();
