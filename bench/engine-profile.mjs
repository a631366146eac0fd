// Redis CPU per task for each engine script, split into Lua/dispatch overhead and the
// commands run inside it, from INFO cpu and INFO commandstats of a private redis-server.
// Steady state: a warm-up round fills the completed window, so the measured completions
// also reap (lua/includes/reap.lua reapCompleted) as they would under constant load.
// Usage: npm run build && node bench/engine-profile.mjs [--tasks 20000] [--batch 100] [--retention-ms 1000] [--payload-bytes 100] [--dist dist] [--server-args='--hash-max-listpack-value 256']
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/helpers/redis-server.mjs';

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '20000' }, batch: { type: 'string', default: '100' }, dist: { type: 'string', default: 'dist' }, 'server-args': { type: 'string', default: '' },
    'retention-ms': { type: 'string', default: '1000' }, 'payload-bytes': { type: 'string', default: '100' } },
});
const tasks = Number(values.tasks);
const batch = Number(values.batch);
const { TaskQueue } = await import(pathToFileURL(resolve(values.dist, 'index.js')).href);
const RETENTION_MS = Number(values['retention-ms']);

// --server-args: redis-server settings to compare against a layout change.
const server = await startRedisServer({ extraArgs: values['server-args'].split(' ').filter(Boolean) });
const admin = new Redis(server.url);
const queue = new TaskQueue({ redis: server.url, name: 'prof', completedRetentionMs: RETENTION_MS, dedupWindowMs: 3_600_000 });
const payload = { data: 'x'.repeat(Math.max(0, Number(values['payload-bytes']) - 11)) };
let round = 0;
const inputs = () => Array.from({ length: tasks }, (_, i) => ({ id: `order-${round}-${i}`, payload, priority: i % 10 }));
const enqueueAll = async () => {
  const all = inputs();
  for (let i = 0; i < tasks; i += 1000) await queue.enqueueMany(all.slice(i, i + 1000));
};
const claimAll = async (leases) => {
  for (;;) {
    const got = await queue.claim('short', { max: batch, leaseMs: 60_000, owner: 'prof' });
    if (got.length === 0) return;
    leases.push(got);
  }
};
const completeAll = async (leases) => {
  for (const group of leases) await queue.completeMany(group.map((lease) => ({ lease, result: { status: 200 } })));
};
try {
  await queue.stats();
  const warm = [];
  await enqueueAll();
  await claimAll(warm);
  await completeAll(warm);
  if (RETENTION_MS < 10_000) await new Promise((r) => setTimeout(r, RETENTION_MS + 200));
  round = 1;
  const phases = {};
  const measure = async (name, fn) => {
    await admin.config('RESETSTAT');
    const cpu0 = await cpuSeconds(admin);
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    phases[name] = { ms, cpuUs: (await cpuSeconds(admin)) - cpu0, stats: await commandStats(admin) };
  };
  const leases = [];
  await measure('enqueue', enqueueAll);
  await measure('claim', () => claimAll(leases));
  await measure('complete', () => completeAll(leases));
  const per = (x, d = 2) => (x / tasks).toFixed(d);
  console.log(`tasks ${tasks}, claim/complete batch ${batch}, enqueue batch 1000, payload ${values['payload-bytes']} B, retention ${RETENTION_MS} ms; µs of Redis CPU per task`);
  console.log('phase      cpu/task  script/task  inner/task  lua/task  other/task  cmds/task  tasks/s');
  let total = 0;
  for (const [name, p] of Object.entries(phases)) {
    const script = (p.stats.evalsha?.usec ?? 0) + (p.stats.eval?.usec ?? 0);
    let inner = 0;
    let cmds = 0;
    for (const [cmd, s] of Object.entries(p.stats)) if (cmd !== 'evalsha' && cmd !== 'eval') { inner += s.usec; cmds += s.calls; }
    total += p.cpuUs;
    console.log(`${name.padEnd(9)}  ${per(p.cpuUs).padStart(8)}  ${per(script).padStart(11)}  ${per(inner).padStart(10)}  ${per(script - inner).padStart(8)}  ${per(p.cpuUs - script).padStart(10)}  ${per(cmds).padStart(9)}  ${String(Math.round(tasks / (p.ms / 1000))).padStart(7)}`);
  }
  console.log(`${'total'.padEnd(9)}  ${per(total).padStart(8)}`);
  for (const [name, p] of Object.entries(phases)) {
    const rows = Object.entries(p.stats).filter(([c]) => c !== 'evalsha' && c !== 'eval').sort((a, b) => b[1].usec - a[1].usec);
    console.log(`  ${name}: ` + rows.map(([c, s]) => `${c} ${per(s.calls, 2)}×/${per(s.usec)}µs`).join(', '));
  }
} finally {
  await queue.close();
  admin.disconnect();
  await server.stop();
}

async function cpuSeconds(client) {
  const info = await client.info('cpu');
  const get = (k) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)[1]);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

/** calls and µs per command since the last RESETSTAT; the measuring connection's own commands left out. */
async function commandStats(client) {
  const info = await client.info('commandstats');
  const out = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(line);
    if (!m || ['info', 'config'].includes(m[1])) continue;
    out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}
