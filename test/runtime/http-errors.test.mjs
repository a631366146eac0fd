// Every refusal of the operator HTTP server, in one table: for each way to produce each
// error code, the status, the code (a member of ErrorCode), the field when there is one, the
// `{ error: { code, message } }` shape and the nosniff header. A new code, or a new way to
// produce one, gets a row here (in the spirit of undici's test/errors.js).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, ErrorCode, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { send } from '../helpers/http.mjs';

const never = () => new Promise(() => {});

/** A queue whose reads and writes never answer (a Redis that is away), and whose stats() breaks. */
function stalledQueue() {
  return {
    name: 'stalled', keys: { enqueuedCounts: 'x', waiting: () => 'w' }, redis: { hgetall: never, zcount: never, ping: never },
    stats: async () => {
      throw new TypeError('a bug');
    },
    get: never, enqueue: never, enqueueMany: never, cancel: never, deadLetters: never, retryDead: never, purgeDead: never,
    retryAllDead: never, purgeAllDead: never,
  };
}

/** The servers the table needs, by name. */
async function startServers() {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('errors') });
  queue.on('queue:warning', () => {});
  const closedQueue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('errors-closed') });
  closedQueue.on('queue:warning', () => {});
  await closedQueue.close();
  await queue.enqueue({ id: 'gone' });
  await queue.cancel('gone');
  const servers = {
    open: createOperatorServer({ queue, port: 0, bodyLimitBytes: 200 }),
    token: createOperatorServer({ queue, port: 0, token: 'the-token' }),
    guarded: createOperatorServer({ queue, port: 0, token: 'the-token', readToken: 'read-token' }),
    stalled: createOperatorServer({ queue: stalledQueue(), port: 0, routeTimeoutMs: 100 }),
    closed: createOperatorServer({ queue: closedQueue, port: 0 }),
  };
  const urls = {};
  for (const [name, server] of Object.entries(servers)) urls[name] = (await server.listen()).url;
  return {
    urls,
    close: async () => {
      for (const server of Object.values(servers)) await server.close();
      await queue.close();
    },
  };
}

const json = { 'content-type': 'application/json' };
const port = (url) => new URL(url).port;

/**
 * [what, server, method, path, request, status, code, field?]. `request.headers` may be a
 * function of the server's URL (for Host and Origin).
 */
const TABLE = [
  ['malformed JSON', 'open', 'POST', '/tasks', { headers: json, body: '{"id": ' }, 400, ErrorCode.InvalidJson],
  ['empty body', 'open', 'POST', '/tasks', { headers: json, body: '' }, 400, ErrorCode.InvalidJson],
  ['invalid task input', 'open', 'POST', '/tasks', { headers: json, body: '{"priority":-1}' }, 400, ErrorCode.InvalidInput, 'priority'],
  ['invalid input in a batch', 'open', 'POST', '/tasks', { headers: json, body: '[{},{"lane":"x"}]' }, 400, ErrorCode.InvalidInput, 'inputs[1].lane'],
  ['body neither a task nor an array', 'open', 'POST', '/tasks', { headers: json, body: '42' }, 400, ErrorCode.InvalidInput, 'body'],
  ['batch over 1000 inputs', 'token', 'POST', '/tasks', { headers: { ...json, authorization: 'Bearer the-token' }, body: JSON.stringify(Array.from({ length: 1001 }, () => ({}))) }, 400, ErrorCode.InvalidInput, 'body'],
  ['limit not a number', 'open', 'GET', '/dead?limit=x', {}, 400, ErrorCode.InvalidInput, 'limit'],
  ['limit out of range', 'open', 'GET', '/dead?limit=0', {}, 400, ErrorCode.InvalidInput, 'limit'],
  ['limit over a page of 1000', 'open', 'GET', '/dead?limit=1001', {}, 400, ErrorCode.InvalidInput, 'limit'],
  ['id not percent-encoded UTF-8', 'open', 'GET', '/tasks/%E0%A4%A', {}, 400, ErrorCode.InvalidInput, 'id'],
  ['malformed request target', 'open', 'GET', '//[', {}, 400, ErrorCode.InvalidInput, 'url'],
  ['mutation without a token', 'token', 'DELETE', '/dead', {}, 401, ErrorCode.Unauthorized],
  ['mutation with a wrong token', 'token', 'POST', '/dead/retry', { headers: { authorization: 'Bearer nope' } }, 401, ErrorCode.Unauthorized],
  ['guarded read without a token', 'guarded', 'GET', '/metrics', {}, 401, ErrorCode.Unauthorized],
  ['guarded read with a wrong token', 'guarded', 'GET', '/tasks/gone', { headers: { authorization: 'Bearer nope' } }, 401, ErrorCode.Unauthorized],
  ['mutation with the read-only token', 'guarded', 'DELETE', '/dead', { headers: { authorization: 'Bearer read-token' } }, 403, ErrorCode.Forbidden],
  ['cross-origin mutation on a tokenless server', 'open', 'POST', '/dead/retry', { headers: { origin: 'http://evil.example' } }, 403, ErrorCode.Forbidden],
  ['opaque-origin mutation on a tokenless server', 'open', 'POST', '/dead/retry', { headers: { origin: 'null' } }, 403, ErrorCode.Forbidden],
  ['read naming a foreign Host (DNS rebinding)', 'open', 'GET', '/overview', { headers: (u) => ({ host: `evil.example:${port(u)}` }) }, 403, ErrorCode.Forbidden],
  ['mutation naming a foreign Host, with the token', 'token', 'POST', '/dead/retry', { headers: (u) => ({ host: `evil.example:${port(u)}`, authorization: 'Bearer the-token' }) }, 403, ErrorCode.Forbidden],
  ['unknown route', 'open', 'GET', '/nope', {}, 404, ErrorCode.NotFound],
  ['unknown task', 'open', 'GET', '/tasks/nope', {}, 404, ErrorCode.NotFound],
  ['not a dead letter (retry)', 'open', 'POST', '/dead/nope/retry', {}, 404, ErrorCode.NotFound],
  ['not a dead letter (purge)', 'open', 'DELETE', '/dead/nope', {}, 404, ErrorCode.NotFound],
  ['unknown dashboard file', 'open', 'GET', '/dashboard/nope.js', {}, 404, ErrorCode.NotFound],
  ['unknown asset', 'open', 'GET', '/assets/package.json', {}, 404, ErrorCode.NotFound],
  ['wrong method', 'open', 'PUT', '/tasks/x', {}, 405, ErrorCode.MethodNotAllowed],
  ['cancel a task past waiting', 'open', 'DELETE', '/tasks/gone', {}, 409, ErrorCode.NotCancellable],
  ['body over the limit', 'open', 'POST', '/tasks', { headers: json, body: JSON.stringify({ payload: 'x'.repeat(300) }) }, 413, ErrorCode.BodyTooLarge],
  ['body not JSON', 'open', 'POST', '/tasks', { headers: { 'content-type': 'text/plain' }, body: 'id=1' }, 415, ErrorCode.UnsupportedMediaType],
  ['a route that throws a bug', 'stalled', 'GET', '/stats', {}, 500, ErrorCode.Internal],
  ['not ready (Redis refuses PING)', 'closed', 'GET', '/readyz', {}, 503, ErrorCode.NotReady],
  ['a read Redis does not answer in time', 'stalled', 'GET', '/tasks/a', {}, 503, ErrorCode.RedisUnavailable],
  ['a queue that was closed', 'closed', 'GET', '/stats', {}, 503, ErrorCode.Closed],
  ['an enqueue Redis does not confirm in time', 'stalled', 'POST', '/tasks', { headers: json, body: '{"id":"a"}' }, 504, ErrorCode.OutcomeUnknown],
  ['a cancel Redis does not confirm in time', 'stalled', 'DELETE', '/tasks/a', {}, 504, ErrorCode.OutcomeUnknown],
  ['a replay Redis does not confirm in time', 'stalled', 'POST', '/dead/a/retry', {}, 504, ErrorCode.OutcomeUnknown],
];

/** Every code the HTTP server answers with; each needs at least one row. */
const HTTP_CODES = [
  'InvalidJson', 'InvalidInput', 'Unauthorized', 'Forbidden', 'NotFound', 'MethodNotAllowed', 'NotCancellable', 'BodyTooLarge',
  'UnsupportedMediaType', 'Internal', 'NotReady', 'RedisUnavailable', 'Closed', 'OutcomeUnknown',
];

const errors = suite('http: every error code');

errors('every HTTP error code is an ErrorCode and has a row', () => {
  for (const key of HTTP_CODES) {
    assert.type(ErrorCode[key], 'string', `ErrorCode.${key}`);
    assert.ok(TABLE.some((row) => row[6] === ErrorCode[key]), `no row produces ${ErrorCode[key]}`);
  }
  for (const row of TABLE) assert.ok(Object.values(ErrorCode).includes(row[6]), `${row[0]}: ${row[6]} is not in ErrorCode`);
});

errors('each way to produce each code answers its status, code and field', async () => {
  const { urls, close } = await startServers();
  try {
    for (const [what, server, method, path, request, status, code, field] of TABLE) {
      const url = urls[server];
      const headers = typeof request.headers === 'function' ? request.headers(url) : request.headers;
      const r = await send(url, method, path, { headers, body: request.body });
      const label = `${what}: ${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`;
      assert.is(r.status, status, label);
      assert.is(r.json?.error?.code, code, label);
      assert.type(r.json.error.message, 'string', label);
      assert.ok(r.json.error.message.length > 0, label);
      assert.is(r.json.error.field, field, label);
      assert.is(r.headers['x-content-type-options'], 'nosniff', label);
      assert.match(r.headers['content-type'], /^application\/json/, label);
    }
  } finally {
    await close();
  }
});

errors.run();
