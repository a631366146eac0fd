import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { SCRIPTS } from '../../dist/infra/scripts.js';
import { realRedisUrl, sleep, uniqueName } from '../helpers/backends.mjs';

const ours = Object.keys(SCRIPTS).map((name) => `tasklane_${name}`);

/** Waits (bounded) until `check` holds; false if it never did. */
async function eventually(check, { timeoutMs = 3000, everyMs = 10 } = {}) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

/** The CLIENT LIST fields of the connection named `name`, as seen from `admin`. */
async function clientInfo(admin, name) {
  const line = (await admin.client('LIST')).split('\n').find((l) => l.includes(` name=${name} `));
  return line ? Object.fromEntries(line.trim().split(' ').map((kv) => kv.split('='))) : null;
}

const test = suite('scripts: sent at once, outside ioredis auto-pipelining');

test('a client that auto-pipelines skips it for tasklane scripts only, and the shared default list stays empty', async () => {
  const client = new Redis(realRedisUrl(), { lazyConnect: true, enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['get'] });
  const queue = new TaskQueue({ name: uniqueName(), redis: client });
  assert.equal(client.options.autoPipeliningIgnoredCommands.toSorted(), ['get', ...ours].toSorted());
  const other = new Redis(realRedisUrl(), { lazyConnect: true });
  assert.equal(other.options.autoPipeliningIgnoredCommands, []);
  await queue.close();
  client.disconnect();
  other.disconnect();
});

test('regression: an enqueue issued while an auto-pipeline is unanswered reaches Redis at once, not after its reply', async () => {
  const name = uniqueName('conn');
  const client = new Redis(realRedisUrl(), { enableAutoPipelining: true, maxRetriesPerRequest: null });
  const admin = new Redis(realRedisUrl());
  await client.client('SETNAME', name);
  const queue = new TaskQueue({ name: uniqueName(), redis: client });
  await queue.stats(); // scripts loaded
  const list = `${name}:never-pushed-yet`;
  // An auto-pipelined command that Redis holds unanswered: ioredis sends no other
  // auto-pipeline on this client until its reply arrives.
  const blocked = client.blpop(list, 0);
  assert.ok(await eventually(async () => (await clientInfo(admin, name))?.cmd === 'blpop'), 'the BLPOP never blocked');
  const enqueued = queue.enqueue({ id: 'sent-at-once' });
  // Redis reads a blocked client's input without running it: the enqueue waits in its query buffer.
  const arrived = await eventually(async () => Number((await clientInfo(admin, name))?.qbuf) > 0);
  await admin.lpush(list, 'go');
  assert.equal(await blocked, [list, 'go']);
  assert.equal(await enqueued, { id: 'sent-at-once', duplicate: false });
  assert.ok(arrived, 'the enqueue was held back in an auto-pipeline until the BLPOP answered');
  await queue.close();
  client.disconnect();
  admin.disconnect();
});

test.run();
