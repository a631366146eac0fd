// ad hoc: per-script Redis time for tasklane via SLOWLOG (log everything), and commandstats usec.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer } from '../scripts/lib/redis-server.mjs';
import { benchSystem } from './lib/cases.mjs';
import { RedisAdmin } from './lib/redis-stats.mjs';
import { scriptSource, SCRIPTS } from '../dist/infra/scripts.js';
const system = process.argv[2] ?? 'tasklane';
const unit = process.argv[3] ?? 'process';
const server = await startRedisServer();
const admin = new RedisAdmin(server.url);
const r = new Redis(server.url);
const shas = {};
for (const name of Object.keys(SCRIPTS)) shas[createHash('sha1').update(scriptSource(name)).digest('hex')] = name;
const ctx = { url: server.url, admin, batch: 1000, httpUrl: null };
const bench = benchSystem(system, ctx);
await bench.setup('prof');
const n = 50000;
await r.config('SET', 'slowlog-log-slower-than', '0');
await r.config('SET', 'slowlog-max-len', '200000');
let res;
if (unit === 'bulk') { await r.slowlog('RESET'); res = await bench.bulkEnqueue(n); }
else { await bench.bulkEnqueue(n); await r.slowlog('RESET'); res = await bench.process({ n, processes: 1, concurrency: 100, handler: 'noop' }); }
const log = await r.slowlog('GET', 200000);
const agg = {};
for (const [, , usec, args] of log) {
  let key = String(args[0]).toLowerCase();
  if (key === 'evalsha') key += ':' + (shas[args[1]] ?? args[1].slice(0, 8));
  if (key === 'eval') key += ':' + (String(args[1]).slice(0, 0));
  const a = (agg[key] ??= { calls: 0, usec: 0, args: 0 });
  a.calls++; a.usec += usec; a.args += args.length;
}
console.log(`${system} ${unit}: ${res.tasksPerSec.toFixed(0)} tasks/s; slowlog entries ${log.length}`);
for (const [k, a] of Object.entries(agg).sort((x, y) => y[1].usec - x[1].usec)) console.log(k.padEnd(28), 'calls', String(a.calls).padStart(7), 'usec', String(a.usec).padStart(9), 'per call', (a.usec / a.calls).toFixed(1).padStart(8), 'per task', (a.usec / n).toFixed(2).padStart(7), 'avg args', (a.args / a.calls).toFixed(0));
console.log('commandstats (usec per task):');
for (const [k, v] of Object.entries(res.counts.byCommand).sort((x, y) => y[1].usec - x[1].usec)) console.log('  ', k.padEnd(20), (v.calls / n).toFixed(3).padStart(8), 'calls/task', (v.usec / n).toFixed(2).padStart(8), 'usec/task');
console.log('cpu', res.cpu);
r.disconnect(); admin.close(); await server.stop();
