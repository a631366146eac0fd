// The operator server's limits: slow clients are cut off (headers, whole request, idle
// keep-alive), connections are capped, limits are checked, and dead letters are read in
// bounded pages and chunks. Short limits keep the tests quick.
import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, sleep, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';
import { trackInFlight } from '../helpers/in-flight.mjs';

async function serve(options = {}) {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('limits') });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0, ...options });
  const { url } = await server.listen();
  return { queue, url, port: Number(new URL(url).port), close: async () => { await server.close(); await queue.close(); } };
}

/**
 * A raw socket that sends `head` and then one more byte sequence every `everyMs` until the
 * server closes it. Resolves with how long the server let it live and what it answered.
 */
function dribble(port, head, piece, everyMs, giveUpMs) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer;
    const finish = (closedByServer) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ ms: Date.now() - started, answer, closedByServer });
    };
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (c) => { answer += c; });
    socket.on('close', () => finish(true));
    socket.on('error', () => {}); // a reset is a close too
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => { if (!socket.destroyed) socket.write(piece); }, everyMs);
    });
    socket.on('timeout', reject);
  });
}

const conn = suite('http: connection limits');

conn('slowloris: a client dribbling header bytes is cut off after headersTimeoutMs', async () => {
  const s = await serve({ limits: { headersTimeoutMs: 400, requestTimeoutMs: 2000 } });
  try {
    const r = await dribble(s.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: a\r\n', 50, 5000);
    assert.ok(r.closedByServer, `still open after ${r.ms} ms`);
    assert.ok(r.ms >= 350 && r.ms < 1500, `cut off after ${r.ms} ms`);
    assert.match(r.answer, /^HTTP\/1\.1 408/);
    // A normal client is served meanwhile and after.
    assert.is((await send(s.url, 'GET', '/healthz')).status, 200);
  } finally {
    await s.close();
  }
});

conn('a connection that never sends a byte is cut off too', async () => {
  const s = await serve({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
  try {
    const r = await dribble(s.port, '', '', 1_000_000, 5000);
    assert.ok(r.closedByServer, `still open after ${r.ms} ms`);
    assert.ok(r.ms < 1500, `cut off after ${r.ms} ms`);
  } finally {
    await s.close();
  }
});

conn('a body dribbled slower than requestTimeoutMs is cut off, and nothing is enqueued', async () => {
  const s = await serve({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  try {
    const head = 'POST /tasks HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"id":"slow","payload":"';
    const r = await dribble(s.port, head, 'a', 50, 5000);
    assert.ok(r.closedByServer, `still open after ${r.ms} ms`);
    assert.ok(r.ms >= 500 && r.ms < 2500, `cut off after ${r.ms} ms`);
    assert.is(await s.queue.get('slow'), null);
  } finally {
    await s.close();
  }
});

conn('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
  const s = await serve({ limits: { keepAliveTimeoutMs: 300 } });
  try {
    const r = await dribble(s.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n', '', 1_000_000, 5000);
    assert.match(r.answer, /^HTTP\/1\.1 200/);
    assert.match(r.answer, /keep-alive/i);
    assert.ok(r.closedByServer && r.ms < 1500, `idle connection lived ${r.ms} ms`);
  } finally {
    await s.close();
  }
});

conn('connections beyond maxConnections are dropped; a freed slot serves again', async () => {
  const s = await serve({ limits: { maxConnections: 2 } });
  const open = [];
  try {
    for (let i = 0; i < 2; i++) {
      const socket = connect(s.port, '127.0.0.1');
      await new Promise((resolve) => socket.on('connect', resolve));
      open.push(socket);
    }
    await sleep(50);
    const refused = await send(s.url, 'GET', '/healthz').then(() => 'served', (err) => err.code);
    assert.ok(['ECONNRESET', 'EPIPE'].includes(refused) || /socket hang up/.test(String(refused)), `third connection: ${refused}`);
    open.pop().destroy();
    await sleep(50);
    assert.is((await send(s.url, 'GET', '/healthz', { headers: { connection: 'close' } })).status, 200);
  } finally {
    for (const socket of open) socket.destroy();
    await s.close();
  }
});

conn('limits are checked, naming the field and its range', () => {
  const queue = { stats: () => {} };
  const cases = [
    [{ headersTimeoutMs: 0 }, 'limits.headersTimeoutMs', /integer from 1/],
    [{ requestTimeoutMs: 1.5 }, 'limits.requestTimeoutMs', /integer from 1/],
    [{ keepAliveTimeoutMs: -1 }, 'limits.keepAliveTimeoutMs', /integer from 1/],
    [{ maxConnections: 'many' }, 'limits.maxConnections', /integer from 1 to 1000000/],
    [{ headersTimeoutMs: 5000, requestTimeoutMs: 1000 }, 'limits.requestTimeoutMs', /at least `limits.headersTimeoutMs`/],
  ];
  for (const [limits, option, message] of cases) {
    assert.throws(() => createOperatorServer({ queue, limits }), (err) => err.code === 'TASKLANE_ERR_INVALID_OPTION' && err.option === option && message.test(err.message), option);
  }
});

conn.run();

const pages = suite('http: dead letters in pages');

/** `n` dead letters, made the way workers make them: claimed, then failed for good. */
async function killMany(queue, n) {
  await queue.enqueueMany(Array.from({ length: n }, (_, i) => ({ id: `d${String(i).padStart(4, '0')}`, payload: { big: 'x'.repeat(100) } })));
  const leases = await queue.claim('short', { max: n, leaseMs: 60_000, owner: 'test' });
  assert.is(leases.length, n);
  for (const lease of leases) await queue.fail(lease, new Error(`${lease.id} failed`), { retryable: false });
}

pages('GET /dead: limit 1–1000; over 1000 is 400 naming limit and the range', async () => {
  const s = await serve();
  try {
    await killMany(s.queue, 3);
    for (const limit of [1001, 10_000]) {
      const r = await send(s.url, 'GET', `/dead?limit=${limit}`);
      assert.is(r.status, 400);
      assert.is(r.json.error.code, 'TASKLANE_ERR_INVALID_INPUT');
      assert.is(r.json.error.field, 'limit');
      assert.match(r.json.error.message, /from 1 to 1000/);
    }
    const r = await send(s.url, 'GET', '/dead?limit=1000');
    assert.is(r.status, 200);
    assert.is(r.json.tasks.length, 3);
  } finally {
    await s.close();
  }
});

pages('deadLetters reads at most 100 records per round trip, in order', async () => {
  const s = await serve();
  try {
    await killMany(s.queue, 250);
    const { redis } = s.queue;
    const reads = trackInFlight(redis, 'hgetall', s.queue.keys.task(''));
    const r = await send(s.url, 'GET', '/dead?limit=1000');
    assert.is(r.status, 200);
    assert.is(r.json.tasks.length, 250);
    assert.is(reads.calls, 250);
    assert.is(reads.most, 100, `${reads.most} HGETALLs were in flight at once`);
    // Most recent first across chunk boundaries: the ranking is one ZREVRANGE.
    const ids = r.json.tasks.map((t) => t.id);
    const ranked = await redis.zrevrange(s.queue.keys.dead, 0, -1);
    assert.equal(ids, ranked);
    const page = await send(s.url, 'GET', '/dead?limit=100&offset=150');
    assert.equal(page.json.tasks.map((t) => t.id), ranked.slice(150, 250));
  } finally {
    await s.close();
  }
});

pages.run();
