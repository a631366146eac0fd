// Redis bytes per task held in each retention window, from INFO memory of a private redis-server:
//   waiting   a queued task (record + waiting-set entry)
//   completed a finished task inside completedRetentionMs (record + result + completed-set entry + dedup marker)
//   marker    a finished task after its record expired, inside dedupWindowMs (the dedup marker alone)
// Usage: npm run build && node bench/engine-memory.mjs [--tasks 50000] [--payload-bytes 100]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TaskQueue } from '../dist/index.js';
import { startRedisServer } from '../test/helpers/redis-server.mjs';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '50000' }, 'payload-bytes': { type: 'string', default: '100' } } });
const tasks = Number(values.tasks);
const payload = { data: 'x'.repeat(Math.max(0, Number(values['payload-bytes']) - 11)) };
const RETENTION_MS = 4000;

const server = await startRedisServer();
const admin = new Redis(server.url);
const queue = new TaskQueue({ redis: server.url, name: 'mem', completedRetentionMs: RETENTION_MS, dedupWindowMs: 3_600_000 });
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
try {
  await queue.stats();
  const base = await usedMemory();
  const inputs = Array.from({ length: tasks }, (_, i) => ({ id: `order-${i}`, payload }));
  for (let i = 0; i < tasks; i += 1000) await queue.enqueueMany(inputs.slice(i, i + 1000));
  const waiting = await usedMemory();
  for (;;) {
    const leases = await queue.claim('short', { max: 500, leaseMs: 60_000, owner: 'mem' });
    if (leases.length === 0) break;
    await queue.completeMany(leases.map((lease) => ({ lease, result: { status: 200 } })));
  }
  const completed = await usedMemory();
  await new Promise((r) => setTimeout(r, RETENTION_MS + 1500));
  await queue.stats(); // trims the completed index
  // Redis expires keys lazily plus a sampling sweep; touch every record so all expired ones are freed.
  for (let i = 0; i < tasks; i += 1000) await admin.exists(...inputs.slice(i, i + 1000).map((t) => queue.keys.task(t.id)));
  const markers = await usedMemory();
  const per = (bytes) => Math.round((bytes - base) / tasks);
  console.log(`tasks ${tasks}, payload ${JSON.stringify(payload).length} bytes JSON, ids like "order-12345"`);
  console.log(`waiting   ${per(waiting)} bytes/task`);
  console.log(`completed ${per(completed)} bytes/task (inside the completed retention)`);
  console.log(`marker    ${per(markers)} bytes/task (after the record expired, inside the dedup window)`);
} finally {
  await queue.close();
  admin.disconnect();
  await server.stop();
}
