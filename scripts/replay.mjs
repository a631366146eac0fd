// `npm run chaos:replay`: proof that a lost reply costs nothing. The runtime works through
// 20,000 tasks (enqueued with enqueueMany meanwhile) against a private redis-server while an
// admin connection runs `CLIENT KILL TYPE normal` every 250 ms, so ioredis keeps resending
// scripts whose replies were lost. A replay-safe engine shows no lost leases, no stalls, one
// completion and one handler run per task, and no false duplicates. Exit 0 when all those
// findings are zero, 1 otherwise. `--tasks N` and `--kill-every MS` change the load.
import { parseArgs } from 'node:util';
import { startRedisServer } from './lib/redis-server.mjs';
import { renderReplayBooks, replayProblems, runReplayChaos } from './lib/replay-chaos.mjs';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '20000' }, 'kill-every': { type: 'string', default: '250' } } });
const tasks = Number(values.tasks);
const killEveryMs = Number(values['kill-every']);
if (!Number.isInteger(tasks) || tasks < 1 || !Number.isInteger(killEveryMs) || killEveryMs < 10) {
  console.error('Expected --tasks to be an integer from 1 and up and --kill-every an integer from 10 (ms) and up');
  process.exit(2);
}

const redis = await startRedisServer();
let problems;
try {
  console.log(`replay chaos: ${tasks} tasks, CLIENT KILL TYPE normal every ${killEveryMs} ms, redis ${redis.url}`);
  const books = await runReplayChaos({ redisUrl: redis.url, tasks, killEveryMs, timeoutMs: Math.max(30_000, tasks * 10) });
  console.log(renderReplayBooks(books));
  problems = replayProblems(books);
} finally {
  await redis.stop();
}
console.log(problems.length === 0 ? 'OK: every finding is zero' : `FAILED: ${problems.join(', ')}`);
process.exit(problems.length === 0 ? 0 : 1);
