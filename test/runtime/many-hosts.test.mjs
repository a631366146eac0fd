// Several hosts on one queue: two (or more) real supervisor process trees against one private
// redis-server and the flaky API. One host is SIGKILLed whole, or hosts are restarted one at a
// time with SIGTERM; every task must still be accounted for, with one side effect each.
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { deadCause } from '../../scripts/lib/chaos-books.mjs';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { eventually, isAlive, killAll, sleep, startSupervisor } from '../helpers/supervisor.mjs';

const test = suite('many hosts on one queue');
test.after.each(killAll);

/** Payload kind the flaky API refuses with a 422: those tasks must end dead, without an effect. */
const REFUSED = 'refused';
/** Long enough that the survivor's own tasks never lose a lease; short enough that the dead host's come back in seconds. */
const LEASE_MS = 3000;
/** Short-lane leases are the task deadline + 5 s (SHORT_LEASE_MARGIN_MS): 1 s + 5 s here. */
const TASK_TIMEOUT = '1s';
const SHORT_LEASE_MS = 6000;
const verbose = (...args) => process.env.TASKLANE_TEST_VERBOSE && console.log(...args);

/** One host: a supervisor with short and long actors, each in its own worker process. */
function startHost(name, api) {
  return startSupervisor(['--short', '2', '--long', '1', '--concurrency', '5', '--redis', realRedisUrl(), '--queue', name,
    '--api-url', `${api.url}/tasks`, '--lease-ms', String(LEASE_MS), '--task-timeout', TASK_TIMEOUT]);
}

/** Every 13th task is of the refused kind; every 4th runs on the long lane. */
function tasks(from, n, label) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { id: `${label}-${i}`, type: 'http', lane: i % 4 === 0 ? 'long' : 'short', payload: { i, kind: i % 13 === 0 ? REFUSED : 'ok' } };
  });
}

function flakyApi() {
  // 10% 500s and 3% 429s are retried (in process, then durably); no hangs, so no attempt runs into its deadline.
  return startFlakyApi({ latencyMs: [5, 40], failRate: 0.1, throttleRate: 0.03, throttleRetryAfterS: 0, permanentTypes: [REFUSED], seed: 11 });
}

/**
 * Watches Redis (MONITOR) for every `complete` script call on queue `name`, keeping the fences
 * each task was completed with. A task completed twice needs two claims, so two fences: a
 * second completion always shows as a second fence here, whichever host sent it.
 */
async function watchCompletions(name) {
  // ioredis enters its monitoring state a moment after MONITOR's OK; a line Redis sends in
  // between (here the producer's INFO) is taken for a reply nobody asked for and raised as
  // "Command queue state error", which would reject `client.monitor()`. So the connection is
  // made here with the listener in place first. Only lines from before any supervisor starts
  // can meet that gap, so no complete call is missed; any other error still fails the test.
  const monitor = new Redis(realRedisUrl(), { monitor: true, lazyConnect: true });
  const errors = [];
  monitor.on('error', (err) => {
    if (!/^Command queue state error/.test(err.message)) errors.push(err);
  });
  const monitoring = new Promise((resolve) => monitor.once('monitoring', resolve));
  await monitor.connect();
  await monitoring;
  const completedKey = `tl:{${name}}:completed`;
  /** id → Set of fences a complete was sent with */
  const fences = new Map();
  monitor.on('monitor', (_time, args) => {
    // EVALSHA sha 3 active completed guard prefix retention window n max (id fence result){n} clock
    if (!/^evalsha$|^eval$/i.test(args[0]) || args[2] !== '3' || args[4] !== completedKey) return;
    const n = Number(args[9]);
    for (let e = 0; e < n; e += 1) {
      const id = args[11 + 3 * e];
      const fence = Number(args[12 + 3 * e]);
      if (!fences.has(id)) fences.set(id, new Set());
      fences.get(id).add(fence);
    }
  });
  return {
    fences,
    errors,
    close: async () => {
      monitor.disconnect();
    },
  };
}

/** What each test runs against: the flaky API, a fresh queue with a producer on it, and the completion watch. */
async function openWorld(label) {
  const api = await flakyApi();
  const name = uniqueName(label);
  const queue = new TaskQueue({ redis: realRedisUrl(), name });
  queue.on('queue:warning', () => {});
  const completions = await watchCompletions(name);
  const close = async () => {
    await completions.close();
    await queue.close();
    await api.close();
  };
  return { api, name, queue, completions, close };
}

/** Resolves once every id has reached completed or dead; returns the records. */
async function waitAllFinal(queue, ids, timeoutMs) {
  let infos = [];
  await eventually(async () => {
    infos = await Promise.all(ids.map((id) => queue.get(id)));
    return infos.every((t) => t && (t.state === 'completed' || t.state === 'dead'));
  }, { timeoutMs, everyMs: 200, what: `all ${ids.length} tasks completed or dead` });
  return infos;
}

/**
 * The books: each id completed with exactly one side effect and one completing fence, or dead
 * for the refused kind with none; no task lost, none left in another state.
 */
function checkBooks(ids, infos, api, completions) {
  let completed = 0;
  let dead = 0;
  for (const [i, id] of ids.entries()) {
    const info = infos[i];
    assert.ok(info, `${id}: no record (lost)`);
    const refused = info.payload.kind === REFUSED;
    if (refused) {
      assert.is(info.state, 'dead', `${id} of the refused kind`);
      assert.is(deadCause(info, [REFUSED], 5), 'permanent', `${id}: dead for ${info.error?.code} ${info.error?.message}`);
      assert.is(api.sideEffectsFor(id), 0, `${id}: a refused task has no side effect`);
      assert.not.ok(completions.fences.has(id), `${id}: a refused task was completed`);
      dead += 1;
    } else {
      assert.is(info.state, 'completed', `${id} state (error: ${info.error?.code} ${info.error?.message})`);
      assert.is(api.sideEffectsFor(id), 1, `${id} side effects`);
      assert.equal([...(completions.fences.get(id) ?? [])], [info.fence], `${id}: completed with fences other than its last claim's`);
      completed += 1;
    }
  }
  assert.equal(completions.errors, [], 'the completion watch saw every line');
  assert.is(api.stats().duplicateKeys, 0);
  assert.is(api.stats().keysWithEffect, completed);
  return { completed, dead };
}

/** Sum of `moved` over a supervisor's "requeued tasks whose lease expired" lines. */
const requeuedBy = (sup) => sup.logs.filter((l) => l.msg === 'requeued tasks whose lease expired').reduce((sum, l) => sum + l.moved, 0);
/** Sum of `released` over a supervisor's "released the leases of a worker that ended" lines. */
const releasedBy = (sup) => sup.logs.filter((l) => l.msg === 'released the leases of a worker that ended').reduce((sum, l) => sum + l.released, 0);
/** Completions its workers accepted, from each worker's `drained` line (written on a graceful stop). */
const drainedCompletions = (sup) => sup.logs.filter((l) => l.role === 'worker' && l.msg === 'drained').reduce((sum, l) => sum + l.stats.completed, 0);

/** The primary's children, from the process table. */
function childPids(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter(Boolean);
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('this test needs `ps` to list a supervisor\'s workers: install procps (apt-get install procps)');
    if (err.status === 1) return []; // ps exits 1 when there are none
    throw err;
  }
}

test('a host dies (SIGKILL of its whole process tree): the survivor requeues its leases and finishes every task once', async () => {
  const { api, name, queue, completions, close } = await openWorld('hostdies');
  const doomed = startHost(name, api);
  const survivor = startHost(name, api);
  try {
    await Promise.all([doomed, survivor].map((s) => s.waitForLog((l) => l.msg === 'supervisor running')));
    const input = tasks(0, 1500, 'hd');
    const ids = input.map((t) => t.id);
    await queue.enqueueMany(input);
    await eventually(async () => (await queue.stats()).completed >= 400, { timeoutMs: 30_000, what: '400 tasks completed' });

    const workers = doomed.liveWorkerPids();
    assert.is(workers.length, 2, 'the doomed host runs a short and a long worker');
    assert.equal(childPids(doomed.child.pid).sort(), [...workers].sort(), 'ps --ppid agrees with the log');
    const activeBefore = (await queue.stats()).active;
    // The primary first, so that it cannot see its workers die and release their leases: a host
    // that dies leaves its leases behind, and only their expiry brings them back.
    const killedAt = Date.now();
    process.kill(doomed.child.pid, 'SIGKILL');
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    await doomed.exited;
    await eventually(() => workers.every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: 'the doomed workers gone' });
    // The dead host's leases, left behind (its sockets are closed: nothing it sent is still on the way).
    const orphaned = (await queue.list({ state: 'active', limit: 1000 })).tasks
      .filter((t) => t.owner.includes(`/${doomed.child.pid}-`)).map((t) => t.id).sort();
    const atKill = await queue.stats();
    assert.ok(atKill.completed < ids.length - 100, `the kill came too late to matter: ${atKill.completed} completed`);
    assert.not.ok(doomed.logs.some((l) => l.msg === 'released the leases of a worker that ended'), 'the doomed primary released leases: not a host death');

    const infos = await waitAllFinal(queue, ids, 40_000);
    const finishMs = Date.now() - killedAt;
    const books = checkBooks(ids, infos, api, completions);
    const stalls = infos.reduce((sum, t) => sum + t.stalls, 0);
    const requeued = requeuedBy(survivor);
    const sweeps = survivor.logs.filter((l) => l.msg === 'requeued tasks whose lease expired').map((l) => Date.parse(l.time) - killedAt);
    verbose({ test: 'host dies', activeBefore, atKill, orphaned: orphaned.length, finishMs, requeued, sweeps, stalls, books, api: api.stats() });
    // While both hosts ran, no live lease was taken: the first expiry comes after the kill.
    assert.ok(sweeps.every((ms) => ms > 0), `a lease was requeued before the kill: ${sweeps} ms after it`);

    // Every lost lease was the dead host's, brought back by the survivor (its sweeps, or its
    // claims, which recover expired leases first), and each counts one stall.
    assert.ok(orphaned.length > 0, 'the kill left no lease behind: nothing to recover');
    assert.equal(infos.filter((t) => t.stalls > 0).map((t) => t.id).sort(), orphaned, 'the stalled tasks are the dead host\'s leases');
    assert.is(stalls, orphaned.length, 'stalls = leases the dead host left');
    assert.ok(requeued <= stalls, 'the sweeps requeued no more than were lost');
    assert.ok(infos.every((t) => t.stalls <= 1), 'a task stalled twice');
    assert.is(releasedBy(survivor), 0, 'the survivor lost none of its own workers');
    // Nothing can come back before its lease expired: the longest is a short-lane one.
    assert.ok(finishMs < SHORT_LEASE_MS + 20_000, `the survivor took ${finishMs} ms`);
    assert.is(books.completed + books.dead, ids.length);

    assert.is((await survivor.stop('SIGTERM')).code, 0);
    assert.is((await queue.stats()).active, 0);
  } finally {
    await close();
  }
});

test('rolling restart: each host SIGTERMed in turn and replaced; nothing lost, nothing done twice', async () => {
  const { api, name, queue, completions, close } = await openWorld('rolling');
  const hosts = [startHost(name, api), startHost(name, api)];
  const ready = (sup) => sup.waitForLog((l) => l.msg === 'supervisor running');
  let total = 0;
  let feeding = true;
  const feed = async () => {
    // Work keeps arriving during the whole roll, so every stop lands among running tasks.
    while (feeding && total < 2500) {
      await queue.enqueueMany(tasks(total, 100, 'rr'));
      total += 100;
      await sleep(150);
    }
  };
  try {
    await Promise.all(hosts.map(ready));
    await queue.enqueueMany(tasks(0, 500, 'rr'));
    total = 500;
    const feeder = feed();
    const stops = [];
    for (const old of [hosts[0], hosts[1]]) {
      await eventually(async () => (await queue.stats()).active > 0, { timeoutMs: 10_000, what: 'tasks running' });
      stops.push(await old.stop('SIGTERM'));
      const replacement = startHost(name, api);
      hosts.push(replacement);
      await ready(replacement);
    }
    feeding = false;
    await feeder;
    assert.equal(stops.map((s) => s.code), [0, 0], 'each stopped host drained and exited 0');

    const ids = Array.from({ length: total }, (_, i) => `rr-${i}`);
    const infos = await waitAllFinal(queue, ids, 40_000);
    for (const sup of hosts.slice(2)) assert.is((await sup.stop('SIGTERM')).code, 0);
    const books = checkBooks(ids, infos, api, completions);

    // Every completion any worker reported, on any host, once per completed task: none twice.
    const accepted = hosts.reduce((sum, sup) => sum + drainedCompletions(sup), 0);
    assert.is(accepted, books.completed, 'completions reported by the workers of all four hosts');
    // Graceful stops release what they hold at once: no lease had to expire.
    assert.equal(hosts.map(requeuedBy), [0, 0, 0, 0], 'leases that had to expire');
    const stalls = infos.reduce((sum, t) => sum + t.stalls, 0);
    const released = hosts.reduce((sum, sup) => sum + releasedBy(sup), 0);
    assert.is(stalls, released, 'stalls = leases released by a stopping host');
    const inFlightAtStop = hosts.slice(0, 2).map((sup) => sup.logs.filter((l) => l.msg === 'draining').reduce((sum, l) => sum + l.inFlight, 0));
    verbose({ test: 'rolling restart', total, inFlightAtStop, released, stalls, books, api: api.stats() });
    assert.ok(inFlightAtStop.some((n) => n > 0), 'no host was stopped with tasks in flight');
    assert.is((await queue.stats()).active, 0);
  } finally {
    feeding = false;
    await close();
  }
});

test.run();
