// Least privilege: the ACL line the README gives, applied as written to a private TLS
// redis-server, is enough for the whole flow (enqueue, the supervisor with worker processes
// through retries and a dead letter, stats, dead-letter replay and purge, the CLI and the HTTP
// server), with no command denied along the way (ACL LOG stays empty); and the same user is
// refused on another queue's keys and channel and on commands outside the list.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { checkEvictionPolicy } from '../../dist/infra/connection.js';
import { uniqueName } from '../helpers/backends.mjs';
import { cli } from '../helpers/cli.mjs';
import { startRedisServer } from '../helpers/redis-server.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';
import { makeTestCerts } from '../helpers/tls-certs.mjs';

const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-flaky.mjs', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const LUA = new URL('../../src/infra/lua/', import.meta.url);

/** The README's line, for the queue `myqueue` with the password `secret`. */
const ACL_LINE = 'ACL SETUSER tasklane reset on >secret ~tl:{myqueue}:* &tl:{myqueue}:* -@all +eval +evalsha +ping +info +subscribe +hgetall +zcount +zrevrange +time +del +exists +get +mget +set +incr +incrby +persist +pexpire +publish +spublish +hdel +hget +hincrby +hlen +hmget +hset +zadd +zcard +zpopmin +zrange +zrangebyscore +zrem +zremrangebyscore +zremrangebyrank +zscore +pttl';
const PASSWORD = 'Acl-pw-5k2w8v';

/** The README line for `queue` and `password`, as ACL SETUSER arguments. */
function aclArgs(queue, password) {
  return ACL_LINE.replaceAll('{myqueue}', `{${queue}}`).replace('>secret', `>${password}`).split(' ').slice(2);
}

const test = suite('least-privilege ACL user');
let certs;
let redis;
let admin;
let ca;

test.before(async () => {
  certs = makeTestCerts();
  ca = readFileSync(certs.ca, 'utf8');
  redis = await startRedisServer({ tls: certs, users: ['default on >admin-pw ~* &* +@all'] });
  admin = new Redis(redis.url.replace('rediss://', 'rediss://default:admin-pw@'), { tls: { ca } });
});
test.after(async () => {
  killAll();
  admin?.disconnect();
  await redis?.stop();
  certs?.remove();
});

/** Creates the README's user for `queue`; returns its URL. */
async function createUser(queue, name = 'tasklane') {
  await admin.call('ACL', 'SETUSER', name, ...aclArgs(queue, PASSWORD).slice(1));
  return redis.url.replace('rediss://', `rediss://${name}:${PASSWORD}@`);
}

test('the README gives this exact line, and it allows every command the Lua scripts run', () => {
  assert.ok(readFileSync(README, 'utf8').includes(ACL_LINE), 'README.md does not contain the validated ACL line');
  const allowed = new Set(ACL_LINE.split(' ').filter((w) => w.startsWith('+')).map((w) => w.slice(1)));
  const files = [...readdirSync(LUA).filter((f) => f.endsWith('.lua')), ...readdirSync(new URL('includes/', LUA)).map((f) => `includes/${f}`)];
  const used = new Set(files.flatMap((f) => [...readFileSync(new URL(f, LUA), 'utf8').matchAll(/redis\.p?call\('([A-Za-z]+)'/g)].map((m) => m[1].toLowerCase())));
  assert.ok(used.size > 10, 'no redis.call found: the Lua directory moved?');
  const missing = [...used].filter((c) => !allowed.has(c));
  assert.equal(missing, [], `commands the scripts run but the ACL line does not allow: ${missing.join(', ')}`);
});

test('the whole flow runs under the user: supervisor with retries and a dead letter, CLI, HTTP; nothing is denied', async () => {
  const queue = uniqueName('acl');
  const url = await createUser(queue);
  await admin.call('ACL', 'LOG', 'RESET');
  const env = { REDIS_URL: url, TASKLANE_REDIS_TLS_CA: certs.ca, TASKLANE_QUEUE: queue };
  const sup = startSupervisor(['--short', '1', '--long', '1', '--handlers', HANDLERS, '--http', '0', '--drain-timeout', '2s'], { env });
  try {
    const { url: http } = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    await eventually(async () => (await fetch(`${http}/readyz`)).status === 200, { what: '/readyz 200' });

    const enq = await cli(['enqueue', '--id', 'c1', '--type', 'echo', '--payload', '{"via":"cli"}', '--json'], { env });
    assert.is(enq.code, 0, enq.stderr);
    const post = await fetch(`${http}/tasks`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 'h1', type: 'echo', lane: 'long' }, { id: 'r1', type: 'flaky' }, { id: 'd1', type: 'fail', maxAttempts: 2 }]),
    });
    assert.is(post.status, 201);
    await eventually(async () => {
      const s = await (await fetch(`${http}/stats`)).json();
      return s.completed === 3 && s.dead === 1 && s;
    }, { what: 'three completed (one after a retry) and one dead letter' });
    const r1 = await cli(['get', 'r1', '--json'], { env });
    assert.is(r1.json.state, 'completed');
    assert.is(r1.json.attempts, 2);

    const list = await cli(['dead', 'list', '--json'], { env });
    assert.is(list.code, 0, list.stderr);
    assert.equal(list.json.map((t) => t.id), ['d1']);
    const retried = await cli(['dead', 'retry', 'd1', '--json'], { env });
    assert.is(retried.code, 0, retried.stderr);
    // Replayed with its attempts reset, it fails twice more and is dead again.
    await eventually(async () => (await cli(['get', 'd1', '--json'], { env })).json?.state === 'dead' && (await cli(['stats', '--json'], { env })).json.dead === 1,
      { what: 'd1 dead again after its replay', timeoutMs: 30_000, everyMs: 500 });
    const purged = await cli(['dead', 'purge', '--all', '--json'], { env });
    assert.is(purged.code, 0, purged.stderr);
    const stats = await cli(['stats', '--json'], { env });
    assert.is(stats.json.dead, 0);
    assert.is(stats.json.completed, 3);
    const deadHttp = await (await fetch(`${http}/dead`)).json();
    assert.equal(deadHttp.tasks, []);
    assert.is((await fetch(`${http}/metrics`)).status, 200);
    assert.is((await fetch(`${http}/overview`)).status, 200);

    const { code } = await sup.stop('SIGTERM');
    assert.is(code, 0);
    for (const run of [enq, list, retried, purged, stats]) assert.is(run.stderr, '', 'a CLI command warned');
    assert.not.match(sup.stdout + sup.stderr, /NOPERM|maxmemory/);
    assert.not.ok(sup.stdout.includes(PASSWORD), 'a log line shows the password');
    // Redis records every command (or key, or channel) it refused a user.
    assert.equal(await admin.call('ACL', 'LOG'), [], 'Redis denied the user something');
  } finally {
    await sup.stop('SIGKILL');
  }
});

test('the same user is refused on another queue\'s keys and channel and on commands outside the list', async () => {
  const queue = uniqueName('acl-own');
  const other = uniqueName('acl-other');
  const url = await createUser(queue, 'tasklane-own');
  const user = new Redis(url, { tls: { ca }, maxRetriesPerRequest: 0 });
  try {
    await admin.hset(`tl:{${other}}:t:x`, 'state', 'waiting');
    assert.equal(await user.hgetall(`tl:{${queue}}:t:x`), {});
    const refusals = [
      user.hgetall(`tl:{${other}}:t:x`),
      user.call('FLUSHALL'),
      user.call('KEYS', '*'),
      user.call('CONFIG', 'GET', 'requirepass'),
      user.call('SCAN', '0'),
      user.del(`tl:{${other}}:t:x`),
      user.call('EVAL', "return redis.call('HGETALL', KEYS[1])", '1', `tl:{${other}}:t:x`),
      user.call('EVAL', "return redis.call('FLUSHALL')", '0'),
    ];
    for (const [i, call] of refusals.entries()) {
      // Inside a script Redis words it differently, but refuses all the same.
      await call.then(() => assert.unreachable(`call ${i} was allowed`), (err) => assert.match(err.message, /NOPERM|can't run this command/, `call ${i}: ${err.message}`));
    }
    const sub = user.duplicate();
    await sub.subscribe(`tl:{${other}}:wake`).then(() => assert.unreachable('subscribed to another queue\'s channel'), (err) => assert.match(err.message, /NOPERM/));
    sub.disconnect();
    const otherQueue = await cli(['stats', '--redis', url, '--redis-tls-ca', certs.ca, '--queue', other, '--json']);
    assert.is.not(otherQueue.code, 0);
    assert.match(otherQueue.stderr, /NOPERM/);
    assert.is(await admin.exists(`tl:{${other}}:t:x`), 1, 'the other queue\'s key is intact');
  } finally {
    user.disconnect();
  }
});

test('a user refused INFO and CONFIG gets a warning that the eviction policy could not be checked, not a crash', async () => {
  const queue = uniqueName('acl-noinfo');
  const argv = aclArgs(queue, PASSWORD).slice(1).filter((w) => w !== '+info');
  await admin.call('ACL', 'SETUSER', 'noinfo', ...argv);
  // Without INFO, ioredis's ready check would print its own warning; it is not what is tested here.
  const client = new Redis(redis.url.replace('rediss://', `rediss://noinfo:${PASSWORD}@`), { tls: { ca }, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  try {
    const warning = await checkEvictionPolicy(client);
    assert.match(warning, /could not check Redis maxmemory-policy/);
    assert.match(warning, /NOPERM/);
    assert.match(warning, /noeviction/);
    const q = new TaskQueue({ redis: client, name: queue });
    const warned = new Promise((resolve) => q.on('queue:warning', resolve));
    assert.match(await warned, /could not check/);
    assert.equal(await q.enqueue({ id: 'a', payload: null }), { id: 'a', duplicate: false });
    await q.close();
  } finally {
    client.disconnect();
  }
});

test.run();
