// Redis bytes per task held in each retention window (see lib/memory.mjs), on a private
// redis-server. `npm run bench` measures the same with --cases memory.
// Usage: npm run build && node bench/engine-memory.mjs [--tasks 50000] [--payload-bytes 100] [--dist dist]
//   [--server-args='--hash-max-listpack-value 256']
// --dist measures another build (e.g. a worktree of main) to compare layouts; --server-args
// passes redis-server settings, to compare a layout change with a server-side one.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { measureMemory } from './lib/memory.mjs';
import { startRedisServer } from '../test/helpers/redis-server.mjs';

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '50000' }, 'payload-bytes': { type: 'string', default: '100' }, dist: { type: 'string', default: 'dist' }, 'server-args': { type: 'string', default: '' } },
});
const { TaskQueue } = await import(pathToFileURL(resolve(values.dist, 'index.js')).href);
const RETENTION_MS = 8000;

const server = await startRedisServer({ extraArgs: values['server-args'].split(' ').filter(Boolean) });
const redis = new Redis(server.url);
try {
  const m = await measureMemory({ url: server.url, redis, queue: 'mem', tasks: Number(values.tasks), payloadBytes: Number(values['payload-bytes']), retentionMs: RETENTION_MS, TaskQueue });
  console.log(`tasks ${m.tasks}, payload ${m.payloadJsonBytes} bytes JSON, ids like "order-12345"`);
  console.log(`waiting   ${Math.round(m.waiting)} bytes/task`);
  console.log(`completed ${Math.round(m.completed)} bytes/task (inside the completed retention)`);
  console.log(`marker    ${Math.round(m.marker)} bytes/task (after the record expired, inside the dedup window)`);
} finally {
  redis.disconnect();
  await server.stop();
}
