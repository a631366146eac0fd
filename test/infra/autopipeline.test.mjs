import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { SCRIPTS } from '../../dist/infra/scripts.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually } from '../helpers/supervisor.mjs';

const ours = Object.keys(SCRIPTS).map((name) => `tasklane_${name}`);

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
  try {
    await eventually(async () => (await clientInfo(admin, name))?.cmd === 'blpop', { everyMs: 10, what: 'the BLPOP to block' });
    const enqueued = queue.enqueue({ id: 'sent-at-once' });
    // Redis reads a blocked client's input without running it: the enqueue waits in its query
    // buffer. Before the fix it stayed in ioredis, held back until the BLPOP answered.
    await eventually(async () => Number((await clientInfo(admin, name))?.qbuf) > 0,
      { timeoutMs: 3000, everyMs: 10, what: 'the enqueue to reach Redis while the BLPOP is unanswered' });
    await admin.lpush(list, 'go');
    assert.equal(await blocked, [list, 'go']);
    assert.equal(await enqueued, { id: 'sent-at-once', duplicate: false });
  } finally {
    await queue.close();
    client.disconnect(); // also ends a BLPOP left blocked by a failed assertion
    admin.disconnect();
  }
});

test.run();
