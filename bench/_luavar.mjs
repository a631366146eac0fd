// ad hoc: Redis CPU of engine scripts and variants, driven directly (one client, sequential calls).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer } from '../scripts/lib/redis-server.mjs';
import { scriptSource } from '../dist/infra/scripts.js';
import { RedisAdmin } from './lib/redis-stats.mjs';

const N = 50000;
const server = await startRedisServer();
const admin = new RedisAdmin(server.url);
const r = new Redis(server.url);
const P = 'tl:{v}:';
const K = { ws: P + 'wait:short', wl: P + 'wait:long', delayed: P + 'delayed', active: P + 'active', completed: P + 'completed', dead: P + 'dead', seq: P + 'seq', wake: P + 'wake' };

const edits = {
  base: (s) => s,
  noReplyCopy: (s) => s.replace(/local function reply\(t\)\n  local r = \{\}\n  for i = #t, 1, -1 do r\[i\] = t\[i\] end\n  return r\nend/, 'local function reply(t) return t end'),
  leanRecord: (s) => s.replace(/'state', state, 'att', '0', 'max', ARGV\[b \+ 6\], 'to', ARGV\[b \+ 7\], 'fence', '0', 'stalls', '0',\s*'ct', fmt\(now\), 'run', fmt\(runAt\), 'seq', seqStr\)/, "'state', state, 'max', ARGV[b + 6], 'to', ARGV[b + 7], 'ct', fmt(now), 'seq', seqStr)"),
  noPexpire: (s) => s.replace(/local function expireRecord\(taskKey, retentionMs\)\n  redis.call\('PEXPIRE', taskKey, retentionMs\)\nend/, 'local function expireRecord(taskKey, retentionMs) end'),
  noDedupMarker: (s) => s.replace(/local function rememberId\(prefix, id, dedupWindowMs\)/, 'local function rememberId(prefix, id, dedupWindowMs) do return end'),
};
function load(variant) {
  const out = {};
  for (const name of ['enqueue', 'claim', 'complete']) {
    const src = edits[variant](scriptSource(name));
    if (variant !== 'base' && src === scriptSource(name) && ((variant === 'leanRecord' && name === 'enqueue') || (variant === 'noPexpire' && name === 'complete') || (variant === 'noDedupMarker' && name === 'complete') || variant === 'noReplyCopy')) throw new Error(`edit ${variant} did not apply to ${name}`);
    out[name] = src;
  }
  return out;
}
const payload = JSON.stringify({ i: 1 });
async function once(variant) {
  const src = load(variant);
  await admin.flush();
  const phases = {};
  const measure = async (name, fn) => {
    await admin.resetStats();
    const c0 = await admin.cpuSeconds();
    await fn();
    const cpu = (await admin.cpuSeconds() - c0) * 1e6 / N;
    const counts = await admin.commandCounts();
    const ev = (counts.byCommand.evalsha?.usec ?? 0) + (counts.byCommand.eval?.usec ?? 0);
    phases[name] = { cpuUsPerTask: cpu, scriptUsPerTask: ev / N };
  };
  await measure('enqueue', async () => {
    for (let i = 0; i < N; i += 500) {
      const argv = [P, K.wake, 500];
      for (let j = 0; j < 500; j++) argv.push(randomUUID(), 'job', 'short', 1000, payload, 0, 5, 0);
      argv.push('');
      await r.eval(src.enqueue, 4, K.ws, K.wl, K.delayed, K.seq, ...argv);
    }
  });
  const leases = [];
  await measure('claim', async () => {
    for (;;) {
      const reply = await r.eval(src.claim, 7, K.ws, K.ws, K.wl, K.delayed, K.active, K.dead, K.seq, P, K.wake, 100, 35000, 'w1', 5000, 604800000, 86400000, 'short', '');
      if (reply.length <= 2) break;
      const batch = [];
      for (let i = 2; i < reply.length; i += 10) batch.push([reply[i], reply[i + 1]]);
      leases.push(batch);
    }
  });
  await measure('complete', async () => {
    for (const batch of leases) {
      const argv = [P, 3600000, 86400000, batch.length];
      for (const [id, fence] of batch) argv.push(id, fence, 'null');
      argv.push('');
      await r.eval(src.complete, 2, K.active, K.completed, ...argv);
    }
  });
  return phases;
}
const variants = Object.keys(edits);
const results = Object.fromEntries(variants.map((v) => [v, []]));
await once('base'); // warm-up
for (let rep = 0; rep < 3; rep++) for (const v of variants) results[v].push(await once(v));
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
console.log('µs of redis-server CPU per task (INFO cpu), and script wall µs per task (commandstats), median of 3');
for (const v of variants) {
  const row = ['enqueue', 'claim', 'complete'].map((ph) => `${ph} ${med(results[v].map((x) => x[ph].cpuUsPerTask)).toFixed(1)}/${med(results[v].map((x) => x[ph].scriptUsPerTask)).toFixed(1)}`);
  console.log(v.padEnd(14), row.join('   '));
}
r.disconnect(); admin.close(); await server.stop();
