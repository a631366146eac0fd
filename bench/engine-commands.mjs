// Redis commands per task for the engine's steady state (enqueue → claim → complete),
// read from INFO commandstats of a private redis-server. Usage:
//   npm run build && node bench/engine-commands.mjs [--tasks 20000] [--batch 100]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TaskQueue } from '../dist/index.js';
import { startRedisServer } from '../test/helpers/redis-server.mjs';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '20000' }, batch: { type: 'string', default: '100' } } });
const tasks = Number(values.tasks);
const batch = Number(values.batch);

const server = await startRedisServer();
const admin = new Redis(server.url);
const queue = new TaskQueue({ redis: server.url, name: 'bench' });
try {
  await queue.stats(); // scripts loaded, connection warm
  await admin.config('RESETSTAT');
  const phases = {};
  const measure = async (name, fn) => {
    await admin.config('RESETSTAT');
    const t0 = performance.now();
    await fn();
    phases[name] = { ms: performance.now() - t0, ...(await commandCounts(admin)) };
  };
  const inputs = Array.from({ length: tasks }, (_, i) => ({ payload: { i }, priority: i % 10 }));
  await measure('enqueue', async () => {
    for (let i = 0; i < tasks; i += 1000) await queue.enqueueMany(inputs.slice(i, i + 1000));
  });
  let leases = [];
  await measure('claim', async () => {
    for (;;) {
      const got = await queue.claim('short', { max: batch, leaseMs: 60_000, owner: 'bench' });
      if (got.length === 0) break;
      leases.push(got);
    }
  });
  await measure('complete', async () => {
    for (const group of leases) await queue.completeMany(group.map((lease) => ({ lease })));
  });
  console.log(`tasks ${tasks}, claim/complete batch ${batch}`);
  let sent = 0;
  let executed = 0;
  const per = (n) => (n / tasks).toFixed(4);
  console.log('phase      sent/task  executed/task  tasks/s   (sent: commands from clients; executed: including those inside scripts)');
  for (const [name, phase] of Object.entries(phases)) {
    sent += phase.sent;
    executed += phase.executed;
    console.log(`${name.padEnd(9)}  ${per(phase.sent).padStart(9)}  ${per(phase.executed).padStart(13)}  ${String(Math.round(tasks / (phase.ms / 1000))).padStart(7)}`);
  }
  console.log(`${'total'.padEnd(9)}  ${per(sent).padStart(9)}  ${per(executed).padStart(13)}`);
} finally {
  await queue.close();
  admin.disconnect();
  await server.stop();
}

/**
 * commandstats counts the commands a script runs as well as the script call itself. Clients of
 * this benchmark send only EVALSHA/EVAL, so those are the commands sent; the rest ran inside scripts.
 * The measuring connection's own INFO/CONFIG are left out.
 */
async function commandCounts(client) {
  const info = await client.info('commandstats');
  let sent = 0;
  let executed = 0;
  for (const line of info.split('\n')) {
    const m = /^cmdstat_(\w+):calls=(\d+)/.exec(line);
    if (!m || ['info', 'config'].includes(m[1])) continue;
    executed += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') sent += Number(m[2]);
  }
  return { sent, executed };
}
