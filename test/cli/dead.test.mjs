// `tasklane dead list|retry|purge` against the harness's redis-server.
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl } from '../helpers/backends.mjs';
import { cli, target } from '../helpers/cli.mjs';

const test = suite('tasklane dead');

/** A library queue on the same Redis with `ids` dead-lettered (oldest first), plus one waiting task. */
async function withDead(name, ids, fn = async () => {}) {
  const client = new Redis(realRedisUrl(), { maxRetriesPerRequest: null });
  const queue = new TaskQueue({ redis: client, name });
  queue.on('queue:warning', () => {});
  try {
    for (const id of ids) {
      await queue.enqueue({ id, payload: { id }, maxAttempts: 2 });
      const [lease] = await queue.claim('short', { max: 1, leaseMs: 30_000, owner: 'w' });
      await queue.fail(lease, Object.assign(new Error(`${id} failed`), { code: 'E_TEST' }), { retryable: false });
      await new Promise((r) => setTimeout(r, 3)); // distinct death times, so the order is known
    }
    await queue.enqueue({ id: 'alive', priority: 999_999 });
    return await fn(queue);
  } finally {
    await queue.close();
    client.disconnect();
  }
}

async function inspect(name, fn) {
  return withDead(name, [], fn);
}

test('dead list: most recent first, a table for people, TaskInfo[] as JSON, --limit and --offset', async () => {
  const { queue, flags } = target();
  await withDead(queue, ['d1', 'd2', 'd3']);
  const [human, json, limited, empty] = await Promise.all([
    cli(['dead', 'list', ...flags]),
    cli(['dead', 'list', ...flags, '--json']),
    cli(['dead', 'list', ...flags, '--limit', '1', '--offset', '1', '--json']),
    cli(['dead', 'list', ...flags, '--offset', '3']),
  ]);
  assert.is(human.code, 0, human.stderr);
  const lines = human.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ID +TYPE +LANE +ATTEMPTS +DIED +ERROR$/);
  assert.equal(lines.slice(1).map((l) => l.split(/ +/)[0]), ['d3', 'd2', 'd1']);
  assert.match(lines[1], /^d3 +http +short +1\/2 +\d{4}-\d\d-\d\dT\S+Z +E_TEST: d3 failed$/);
  assert.equal(json.json.map((t) => [t.id, t.state, t.error.message]), [['d3', 'dead', 'd3 failed'], ['d2', 'dead', 'd2 failed'], ['d1', 'dead', 'd1 failed']]);
  assert.equal(limited.json.map((t) => t.id), ['d2']);
  assert.is(empty.code, 0);
  assert.match(empty.stdout, /^no dead letters in queue `.*` past the 3 most recent\n$/);
  const bad = await cli(['dead', 'list', ...flags, '--limit', '0']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--limit must be a whole number from 1 to 10000, got `0`/);
});

test('dead retry ID replays one with attempts reset; a non-dead or unknown id exits 1', async () => {
  const { queue, flags } = target();
  await withDead(queue, ['r1', 'r2']);
  const human = await cli(['dead', 'retry', 'r1', ...flags]);
  assert.is(human.code, 0, human.stderr);
  assert.is(human.stdout, 'retried r1\n');
  const json = await cli(['dead', 'retry', 'r2', ...flags, '--json']);
  assert.equal(json.json, { id: 'r2', retried: true });
  await inspect(queue, async (q) => {
    for (const id of ['r1', 'r2']) assert.equal([(await q.get(id)).state, (await q.get(id)).attempts], ['waiting', 0]);
  });
  const [again, unknown, alive] = await Promise.all([
    cli(['dead', 'retry', 'r1', ...flags]),
    cli(['dead', 'retry', 'ghost', ...flags, '--json']),
    cli(['dead', 'retry', 'alive', ...flags]),
  ]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /TASKLANE_ERR_NOT_FOUND: task `r1` is not a dead letter in queue `/);
  assert.is(unknown.code, 1);
  assert.is(unknown.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
  assert.is(alive.code, 1);
});

test('dead retry --all replays every dead letter and leaves other tasks alone', async () => {
  const { queue, flags } = target();
  await withDead(queue, ['a1', 'a2', 'a3']);
  const run = await cli(['dead', 'retry', '--all', ...flags, '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.json, { retried: 3 });
  await inspect(queue, async (q) => {
    const stats = await q.stats();
    assert.equal([stats.dead, stats.waiting.short], [0, 4]);
    assert.is((await q.get('alive')).state, 'waiting');
  });
  const none = await cli(['dead', 'retry', '--all', ...flags]);
  assert.is(none.code, 0, '--all on an empty dead set is not a failure');
  assert.is(none.stdout, 'retried 0 dead letters\n');
});

test('dead purge ID deletes one; --all deletes the rest; a missing one exits 1', async () => {
  const { queue, flags } = target();
  await withDead(queue, ['p1', 'p2', 'p3']);
  const one = await cli(['dead', 'purge', 'p1', ...flags]);
  assert.is(one.code, 0, one.stderr);
  assert.is(one.stdout, 'purged p1\n');
  const gone = await cli(['dead', 'purge', 'p1', ...flags, '--json']);
  assert.is(gone.code, 1);
  assert.equal(gone.json.error.code, 'TASKLANE_ERR_NOT_FOUND');
  const all = await cli(['dead', 'purge', '--all', ...flags]);
  assert.is(all.code, 0, all.stderr);
  assert.is(all.stdout, 'purged 2 dead letters\n');
  await inspect(queue, async (q) => {
    assert.equal([await q.get('p2'), await q.get('p3'), (await q.get('alive')).state], [null, null, 'waiting']);
    assert.is((await q.stats()).dead, 0);
  });
  const json = await cli(['dead', 'purge', '--all', ...flags, '--json']);
  assert.equal(json.json, { purged: 0 });
});

test('dead retry/purge need exactly one of ID and --all', async () => {
  const { flags } = target();
  const runs = await Promise.all([
    cli(['dead', 'retry', ...flags]),
    cli(['dead', 'purge', 'x', '--all', ...flags]),
    cli(['dead', 'retry', 'x', 'y', ...flags]),
    cli(['dead', 'purge', '--all=yes', ...flags]),
  ]);
  assert.equal(runs.map((r) => r.code), [2, 2, 2, 2]);
  assert.match(runs[0].stderr, /`tasklane dead retry` needs an ID or --all/);
  assert.match(runs[0].stderr, /Run `tasklane dead retry --help` for usage/);
  assert.match(runs[1].stderr, /takes an ID or --all, not both/);
  assert.match(runs[2].stderr, /Unexpected argument `y`/);
  assert.match(runs[3].stderr, /--all takes no value/);
});

test.run();
