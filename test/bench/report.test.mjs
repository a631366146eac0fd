import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DIAGNOSTICS, METRICS, TARGETS, medianOf, metricsOf } from '../../bench/lib/metrics.mjs';
import { checkTargets, table, targetLines } from '../../bench/lib/report.mjs';

const BY_KEY = Object.fromEntries([...METRICS, ...DIAGNOSTICS].map((m) => [m.key, m]));
const m = (median) => ({ reps: [median], median });

const test = suite('bench/lib/report.mjs targets');

test('every target names a known metric, and a peer target a system that reports it', () => {
  for (const t of TARGETS) {
    assert.ok(BY_KEY[t.metric], `${t.text}: metric ${t.metric}`);
    assert.ok(t.peer ? t.atLeast > 0 : t.atMost > 0, t.text);
  }
});

test('the supervisor case is judged against the peers\' 2 x 50, not a value they lack', () => {
  const results = { tasklane: { process_supervisor_2x50: m(9000) }, 'bee-queue': { process_2x50: m(6000) }, bullmq: { process_2x50: m(2000) } };
  const metric = BY_KEY.process_supervisor_2x50;
  assert.is(medianOf(results, 'bee-queue', metric), 6000);
  assert.is(medianOf(results, 'tasklane', metric), 9000);
  const byText = Object.fromEntries(checkTargets(results, BY_KEY).map((t) => [t.text, t]));
  const vsBee = byText['processing via the supervisor (2 x 50) >= 1.5x bee-queue 2 x 50'];
  assert.is(vsBee.value, 1.5);
  assert.ok(vsBee.met);
  assert.is(byText['processing via the supervisor (2 x 50) >= 3x BullMQ 2 x 50'].value, 4.5);
  assert.match(table(METRICS, results, ['tasklane', 'bullmq', 'bee-queue']), /supervisor.*9,000\s+2,000\s+6,000\s+4\.50x\s+1\.50x/);
});

test('lower-is-better targets: latency p99 and Redis CPU against bee-queue, memory in bytes', () => {
  const results = {
    tasklane: { latency_p99: m(4), process_1x100_cpu_redis: m(50), mem_completed: m(701), mem_marker: m(100) },
    'bee-queue': { latency_p99: m(5), process_1x100_cpu_redis: m(40) },
  };
  const byText = Object.fromEntries(checkTargets(results, BY_KEY).map((t) => [t.text, t]));
  assert.ok(byText['latency p99 at 2k/s <= bee-queue p99'].met);
  assert.not.ok(byText['Redis CPU per task, 1 x 100 <= bee-queue'].met);
  assert.not.ok(byText['Redis memory per completed task (100 B payload) <= 700 bytes'].met);
  assert.ok(byText['Redis memory per dedup marker <= 100 bytes'].met);
  // Targets whose inputs were not measured (no BullMQ, no 2 x 50) are left out, not missed.
  assert.is(Object.keys(byText).length, 4);
  assert.match(targetLines(checkTargets(results, BY_KEY)).join('\n'), /MISS {2}Redis memory per completed task \(100 B payload\) <= 700 bytes: 701\.00 bytes/);
});

test('held share and unknown client CPU (the supervisor case reads /proc only on Linux)', () => {
  const r = { tasksPerSec: 1000, completed: 200, counts: { executed: 1200 }, cpu: { clientMs: null, redisMs: 10 }, held: 50 };
  const out = metricsOf('process_supervisor_2x50', r);
  assert.is(out.process_supervisor_2x50_held, 25);
  assert.is(out.process_supervisor_2x50_executed, 6);
  assert.is(out.process_supervisor_2x50_cpu_redis, 50);
  assert.not.ok('process_supervisor_2x50_cpu_client' in out);
});

test.run();
