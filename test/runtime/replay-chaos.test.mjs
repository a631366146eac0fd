// Replay safety end to end: the real runtime (actors in this process) works through 2,000
// tasks, enqueued with enqueueMany meanwhile, while an admin connection kills every normal
// client connection of the private redis-server each 250 ms. ioredis resends the scripts
// whose replies were lost (and TaskQueue those it aborted); each must answer as it did the
// first time. `npm run chaos:replay` runs the same with 20,000 tasks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderReplayBooks, runReplayChaos } from '../../scripts/lib/replay-chaos.mjs';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';

const test = suite('replay safety under CLIENT KILL');

test('no lost lease, stall, double run, double completion or false duplicate while connections are killed', async () => {
  const books = await runReplayChaos({ redisUrl: realRedisUrl(), tasks: 2000, killEveryMs: 100, timeoutMs: 20_000, queue: uniqueName('replay') });
  const table = `\n${renderReplayBooks(books)}`;
  assert.ok(books.kills >= 2 && books.killedConnections > 0, `the run killed connections${table}`);
  assert.is(books.completedTasks, 2000, `every task completed${table}`);
  assert.is(books.completedEvents, 2000, `exactly one task:completed per task${table}`);
  assert.is(books.leaseLost, 0, `no lease:lost${table}`);
  assert.is(books.stalledTasks, 0, `no stalls${table}`);
  assert.is(books.ranTwice, 0, `no handler ran twice for one id${table}`);
  assert.is(books.falseDuplicates, 0, `no false duplicates on enqueue${table}`);
  assert.is(books.retrying + books.dead, 0, `no failures${table}`);
});

test.run();
