// ad hoc: tasklane latency with per-sample timestamps. usage: node bench/_lat.mjs [system]
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { startRedisServer } from '../scripts/lib/redis-server.mjs';
import { SYSTEMS } from './lib/systems/types.mjs';
import { now } from './lib/clock.mjs';
const [role, system = 'tasklane', url] = process.argv.slice(2);
if (role === 'worker') {
  const a = await SYSTEMS[system]();
  const samples = [];
  let session;
  if (process.env.ALLOC) {
    const { Session } = await import('node:inspector/promises');
    session = new Session(); session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const c = await a.openConsumer({ url, queue: 'lat', concurrency: 100, handler: async (p) => { const t = now(); samples.push([p.t, t - p.t]); return null; }, onCompleted() {} });
  c.start();
  process.send('ready');
  process.on('message', async () => { if (session) { const { profile } = await session.post('HeapProfiler.stopSampling'); writeFileSync(`/tmp/bt/alloc-${system}.heapprofile`, JSON.stringify(profile)); } writeFileSync(`/tmp/bt/lat-${system}.json`, JSON.stringify(samples)); await c.close(); process.exit(0); });
} else if (role === 'producer') {
  const a = await SYSTEMS[system]();
  const p = await a.openProducer({ url, queue: 'lat' });
  const t0 = now(); let sent = 0; const total = 24000;
  await new Promise((res) => { const tick = () => { const due = Math.min(total, Math.floor((now() - t0) * 2)); while (sent < due) { p.add({ t: now() }); sent++; } if (sent >= total) res(); else setTimeout(tick, 1); }; tick(); });
  await new Promise((r) => setTimeout(r, 500));
  process.exit(0);
} else {
  const sys = role ?? 'tasklane';
  const s = await startRedisServer();
  const w = fork(new URL(import.meta.url), ['worker', sys, s.url], { execArgv: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bt/latprof'] : process.env.TRACEGC ? ['--trace-gc'] : process.env.HEAPPROF ? ['--heap-prof', '--heap-prof-dir=/tmp/bt/heapprof', '--heap-prof-interval=4096'] : [] });
  await new Promise((r) => w.once('message', r));
  await new Promise((r) => setTimeout(r, 300));
  const p = fork(new URL(import.meta.url), ['producer', sys, s.url]);
  await new Promise((r) => p.once('exit', r));
  w.send('stop');
  await new Promise((r) => w.once('exit', r));
  await s.stop();
  const samples = JSON.parse((await import('node:fs')).readFileSync(`/tmp/bt/lat-${sys}.json`, 'utf8'));
  const t0 = samples[0][0];
  const lat = samples.map((x) => x[1]).slice(2000).sort((a, b) => a - b);
  const q = (p) => lat[Math.ceil(p / 100 * lat.length) - 1].toFixed(2);
  console.log(sys, 'n', lat.length, 'p50', q(50), 'p90', q(90), 'p99', q(99), 'p99.9', q(99.9), 'max', lat.at(-1).toFixed(2));
  // outliers by time
  const out = samples.filter((x) => x[1] > 5).map((x) => `${((x[0] - t0) / 1000).toFixed(3)}s:${x[1].toFixed(1)}`);
  console.log('samples > 5 ms:', out.length, out.slice(0, 80).join(' '));
}
