// Defects found by probing the HTTP API, each pinned down: dead letters named `.` (a retry
// that replayed every dead letter), aborted uploads logged as errors, overflowing numbers
// stored as null, and encoded bodies read as JSON.
import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep } from '../helpers/backends.mjs';
import { Rng, hostileIds } from '../helpers/fuzz-values.mjs';
import { send } from '../helpers/http.mjs';
import { deadLetter, serveQueue } from '../helpers/operator.mjs';

const serve = (options) => serveQueue(options);
const kill = deadLetter;

/** A path segment for `id`: percent-encoded, with dots as %2E (so no segment is `.` or `..`). */
const segment = (id) => encodeURIComponent(id).replaceAll('.', '%2E');

const ids = suite('http: hostile ids in per-id routes');

ids('regression: every hostile id is reachable by GET, retry and purge, and each action acts on that id alone', async () => {
  const s = await serve();
  try {
    const hostile = hostileIds(new Rng(7), 60);
    assert.ok(hostile.includes('.') && hostile.includes('..'));
    await kill(s.queue, 'bystander');
    for (const id of hostile) {
      await kill(s.queue, id);
      const path = `/dead/${segment(id)}`;
      let r = await send(s.url, 'GET', `/tasks/${segment(id)}`);
      assert.is(r.status, 200, `GET ${JSON.stringify(id)}: ${r.text}`);
      assert.is(r.json.id, id);
      r = await send(s.url, 'POST', `${path}/retry`);
      assert.equal([r.status, r.json], [200, { id, retried: true }], `retry ${JSON.stringify(id)}`);
      assert.is((await s.queue.get(id)).state, 'waiting');
      assert.is((await s.queue.get('bystander')).state, 'dead', `retry of ${JSON.stringify(id)} left the bystander alone`);
      const [lease] = await s.queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'test' });
      assert.is(lease.id, id);
      await s.queue.fail(lease, new Error('again'), { retryable: false });
      r = await send(s.url, 'DELETE', path);
      assert.equal([r.status, r.json], [200, { id, purged: true }], `purge ${JSON.stringify(id)}`);
      assert.is(await s.queue.get(id), null);
      assert.is((await s.queue.get('bystander')).state, 'dead', `purge of ${JSON.stringify(id)} left the bystander alone`);
    }
    assert.equal((await s.queue.deadLetters()).map((t) => t.id), ['bystander']);
  } finally {
    await s.close();
  }
});

ids('regression: a dot id sent as a raw dot segment (`/dead/./retry`) reaches that id, not the bulk route', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'bystander');
    await kill(s.queue, '.');
    await kill(s.queue, '..');
    let r = await send(s.url, 'POST', '/dead/./retry');
    assert.equal([r.status, r.json], [200, { id: '.', retried: true }]);
    r = await send(s.url, 'GET', '/tasks/..');
    assert.equal([r.status, r.json.id], [200, '..']);
    r = await send(s.url, 'DELETE', '/dead/..');
    assert.equal([r.status, r.json], [200, { id: '..', purged: true }]);
    assert.is((await s.queue.get('bystander')).state, 'dead');
  } finally {
    await s.close();
  }
});

ids('the collection routes with ?id= act on that id alone (what the dashboard sends; safe when a browser drops a dot segment)', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'bystander');
    await kill(s.queue, '.');
    await kill(s.queue, '..');
    // What a browser makes of fetch('/dead/%2E/retry?id=.'): the dot segment is gone, the query stays.
    let r = await fetch(`${s.url}/dead/%2E/retry?id=${encodeURIComponent('.')}`, { method: 'POST' });
    assert.equal([r.status, await r.json()], [200, { id: '.', retried: true }]);
    assert.is((await s.queue.get('bystander')).state, 'dead');
    r = await fetch(`${s.url}/dead?id=${encodeURIComponent('..')}`, { method: 'DELETE' });
    assert.equal([r.status, await r.json()], [200, { id: '..', purged: true }]);
    r = await fetch(`${s.url}/dead?id=nope`, { method: 'DELETE' });
    assert.is(r.status, 404);
    assert.equal((await s.queue.deadLetters()).map((t) => t.id), ['bystander'], 'a missing id purges nothing else');
    assert.is((await s.queue.get('.')).state, 'waiting');
  } finally {
    await s.close();
  }
});

ids('routing on the path as sent still serves no file outside the dashboard for raw dot segments', async () => {
  const s = await serve();
  try {
    for (const path of ['/dashboard/../server.js', '/dashboard/./../../package.json', '/dashboard/%2E%2E/server.js', '/assets/../../package.json']) {
      const r = await send(s.url, 'GET', path);
      assert.is(r.status, 404, `${path}: ${r.status}`);
      assert.not.match(r.text, /"name":\s*"tasklane"|createServer/, `${path} served a file`);
    }
  } finally {
    await s.close();
  }
});

/** One raw HTTP/1.1 request with `target` exactly as given; resolves with the status and body. */
function rawRequest(url, method, target) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
  });
}

ids('regression: an absolute-form target (`POST http://host/dead/%2E/retry`) reaches the id `.`, not the bulk route', async () => {
  const s = await serve();
  try {
    await kill(s.queue, 'bystander');
    await kill(s.queue, '.');
    const { port } = new URL(s.url);
    let r = await rawRequest(s.url, 'POST', `http://127.0.0.1:${port}/dead/%2E/retry`);
    assert.is(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body), { id: '.', retried: true });
    assert.is((await s.queue.get('bystander')).state, 'dead', 'the bystander was not replayed');
    r = await rawRequest(s.url, 'POST', '//x/dead/%2E/retry');
    assert.is(r.status, 404, 'a `//` target routes on its raw text and matches nothing');
    assert.is((await s.queue.get('bystander')).state, 'dead');
  } finally {
    await s.close();
  }
});

ids('regression: the dashboard\'s by-query forms reach `.` and `..` (GET and DELETE /tasks?id=X) and act on that id alone', async () => {
  const s = await serve();
  try {
    await s.queue.enqueueMany([{ id: '.' }, { id: '..' }, { id: 'bystander' }]);
    let r = await send(s.url, 'GET', `/tasks?${new URLSearchParams({ id: '.' })}`);
    assert.equal([r.status, r.json.id, r.json.state], [200, '.', 'waiting']);
    r = await send(s.url, 'DELETE', `/tasks?${new URLSearchParams({ id: '..' })}`);
    assert.equal([r.status, r.json], [200, { id: '..', cancelled: true }]);
    assert.is((await s.queue.get('..')).state, 'cancelled');
    assert.is((await s.queue.get('.')).state, 'waiting', 'the cancel acted on `..` alone');
    assert.is((await s.queue.get('bystander')).state, 'waiting');
    r = await send(s.url, 'DELETE', '/tasks');
    assert.equal([r.status, r.json.error.code, r.json.error.field], [400, 'TASKLANE_ERR_INVALID_INPUT', 'id'], 'no bulk cancel');
    r = await send(s.url, 'GET', `/tasks?${new URLSearchParams({ id: '.', state: 'waiting' })}`);
    assert.equal([r.status, r.json.error.field], [400, 'id']);
    r = await send(s.url, 'GET', `/tasks?${new URLSearchParams({ id: 'never-enqueued' })}`);
    assert.equal([r.status, r.json.error.code], [404, 'TASKLANE_ERR_NOT_FOUND']);
  } finally {
    await s.close();
  }
});

ids.run();

const body = suite('http: request bodies');

body('regression: an aborted upload is logged at debug as a client abort, not as an error', async () => {
  const entries = [];
  const log = {
    debug: (obj, msg) => entries.push(['debug', msg, obj]), info: (obj, msg) => entries.push(['info', msg, obj]),
    warn: (obj, msg) => entries.push(['warn', msg, obj]), error: (obj, msg) => entries.push(['error', msg, obj]),
    child() { return log; },
  };
  const s = await serve({ log });
  try {
    const { port } = new URL(s.url);
    await new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /tasks HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"payload":');
        setTimeout(() => { socket.destroy(); resolve(); }, 100);
      });
      socket.on('error', reject);
    });
    await sleep(200);
    assert.equal(entries.filter(([level]) => level === 'error'), []);
    assert.ok(entries.some(([level, msg]) => level === 'debug' && /client aborted/.test(msg)), JSON.stringify(entries.map(([l, m]) => [l, m])));
  } finally {
    await s.close();
  }
});

body('regression: a number that overflows (1e309) is refused with its path, not stored as null', async () => {
  const s = await serve();
  try {
    let r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json' }, body: '{"id":"big","payload":{"a":[1,2,1e309]}}' });
    assert.is(r.status, 400);
    assert.equal([r.json.error.code, r.json.error.field], ['TASKLANE_ERR_INVALID_INPUT', 'payload.a[2]']);
    r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json' }, body: '[{"id":"ok"},{"id":"big2","payload":{"n":-1e400}}]' });
    assert.is(r.status, 400);
    assert.is(r.json.error.field, 'inputs[1].payload.n');
    assert.is(await s.queue.get('big'), null);
    assert.is(await s.queue.get('ok'), null, 'a refused batch stores nothing');
    r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json' }, body: '{"id":"fine","payload":{"a":1e308,"n":null}}' });
    assert.is(r.status, 201);
    assert.equal((await s.queue.get('fine')).payload, { a: 1e308, n: null });
  } finally {
    await s.close();
  }
});

body('regression: a body with a content-encoding other than identity is refused 415', async () => {
  const s = await serve();
  try {
    for (const encoding of ['deflate', 'gzip', 'br', 'identity, gzip', 'x-custom']) {
      const r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: '{"id":"enc"}' });
      assert.is(r.status, 415, encoding);
      assert.is(r.json.error.code, 'TASKLANE_ERR_UNSUPPORTED_ENCODING');
    }
    assert.is(await s.queue.get('enc'), null);
    const r = await send(s.url, 'POST', '/tasks', { headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, body: '{"id":"enc"}' });
    assert.is(r.status, 201);
  } finally {
    await s.close();
  }
});

body.run();
