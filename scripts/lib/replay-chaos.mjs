// The replay run shared by `npm run chaos:replay` and test/runtime/replay-chaos.test.mjs:
// the real runtime (actors in this process) works through `tasks` tasks while an admin
// connection runs `CLIENT KILL TYPE normal` every `killEveryMs`, so replies are lost and
// ioredis resends the scripts that produced them (claims, completes, heartbeats, enqueues).
// The tasks are enqueued through enqueueMany during the kills too. Every finding is a count
// that a clean run keeps at zero, beside the counts that say how hard the run pushed.
import { Redis } from 'ioredis';
import { createRuntime, TaskQueue } from '../../dist/index.js';

/** Type of the run's tasks: the handler counts its runs per id. */
const TYPE = 'replay';

/**
 * Runs the replay chaos against the Redis at `redisUrl`, on a queue of its own, and resolves
 * with its counts once every task completed or `timeoutMs` passed.
 *
 * @example
 * const books = await runReplayChaos({ redisUrl, tasks: 2000 });
 * books.leaseLost // 0
 */
export async function runReplayChaos({ redisUrl, tasks, killEveryMs = 250, batch = 200, actors = 8, timeoutMs = 25_000, queue = `replay-${process.pid}-${Date.now()}` }) {
  const runs = new Map();
  const completed = new Map();
  const books = { tasks, kills: 0, killedConnections: 0, enqueueCalls: 0, falseDuplicates: 0, enqueueErrors: 0, completedEvents: 0, leaseLost: 0, retrying: 0, dead: 0 };
  const handlers = { [TYPE]: async (task) => { runs.set(task.id, (runs.get(task.id) ?? 0) + 1); return task.id; } };
  const runtime = createRuntime({ processes: 0, redis: redisUrl, queue, short: actors, long: 0, handlers, logLevel: process.env.TASKLANE_REPLAY_LOG ?? 'silent', drainTimeoutMs: 5000 });
  runtime.on('task:completed', (e) => {
    books.completedEvents += 1;
    completed.set(e.task.id, (completed.get(e.task.id) ?? 0) + 1);
  });
  runtime.on('lease:lost', () => { books.leaseLost += 1; });
  runtime.on('task:retrying', () => { books.retrying += 1; });
  runtime.on('task:dead', () => { books.dead += 1; });
  // The admin's own connection survives its kills (SKIPME yes is the default).
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const producer = new TaskQueue({ redis: redisUrl, name: queue });
  producer.on('queue:warning', () => {});
  producer.redis.on('error', () => {}); // its connection is killed on purpose; ioredis reconnects
  const started = Date.now();
  let killer;
  try {
    await runtime.start();
    killer = setInterval(() => {
      books.kills += 1;
      admin.call('CLIENT', 'KILL', 'TYPE', 'normal').then((n) => { books.killedConnections += Number(n); }, () => {});
    }, killEveryMs);
    const ids = Array.from({ length: tasks }, (_, i) => `replay-${i}`);
    for (let start = 0; start < tasks; start += batch) {
      const chunk = ids.slice(start, start + batch);
      books.enqueueCalls += 1;
      const results = await producer.enqueueMany(chunk.map((id) => ({ id, type: TYPE, maxAttempts: 1 })));
      books.falseDuplicates += results.filter((r) => r.duplicate).length;
    }
    const deadline = started + timeoutMs;
    while (completed.size + books.dead < tasks && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    books.elapsedMs = Date.now() - started;
    clearInterval(killer);
    await runtime.stop();
    books.stalledTasks = await countStalled(admin, producer.keys, tasks);
  } finally {
    clearInterval(killer);
    await runtime.stop();
    await producer.close();
    admin.disconnect();
  }
  books.completedTasks = completed.size;
  books.completedTwice = [...completed.values()].filter((n) => n > 1).length;
  books.ranTwice = [...runs.values()].filter((n) => n > 1).length;
  books.neverRan = tasks - runs.size;
  return books;
}

/** Task records whose `stalls` field is above 0: a lease that lapsed (orphaned) before it was requeued. */
async function countStalled(admin, keys, tasks) {
  const pipeline = admin.pipeline();
  for (let i = 0; i < tasks; i += 1) pipeline.hget(keys.task(`replay-${i}`), 'stalls');
  const replies = await pipeline.exec();
  return replies.filter(([, stalls]) => Number(stalls) > 0).length;
}

/**
 * The books as aligned rows, findings first (each must be 0), then what the run did.
 *
 * @example
 * console.log(renderReplayBooks(books));
 */
export function renderReplayBooks(books) {
  const rows = [
    ['lease:lost events', books.leaseLost], ['stalled tasks', books.stalledTasks], ['completed twice', books.completedTwice],
    ['handler ran twice', books.ranTwice], ['false duplicates', books.falseDuplicates], ['never ran', books.neverRan],
    ['retrying', books.retrying], ['dead', books.dead],
    ['tasks', books.tasks], ['completed', books.completedTasks], ['task:completed events', books.completedEvents],
    ['enqueueMany calls', books.enqueueCalls], ['CLIENT KILL calls', books.kills], ['connections killed', books.killedConnections],
    ['elapsed ms', books.elapsedMs],
  ];
  return rows.map(([label, n]) => `  ${label.padEnd(24)} ${n}`).join('\n');
}

/** The findings that are not zero, as `label n`; empty for a clean run. */
export function replayProblems(books) {
  const findings = { 'lease:lost events': books.leaseLost, 'stalled tasks': books.stalledTasks, 'completed twice': books.completedTwice,
    'handler ran twice': books.ranTwice, 'false duplicates': books.falseDuplicates, 'not completed': books.tasks - books.completedTasks,
    'extra task:completed events': books.completedEvents - books.completedTasks };
  return Object.entries(findings).filter(([, n]) => n !== 0).map(([label, n]) => `${label} ${n}`);
}
