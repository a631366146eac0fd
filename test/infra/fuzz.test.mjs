// Fuzzes enqueue and enqueueMany with random and hostile inputs, then checks that every input
// was accepted or refused with a coded ValidationError, that tasks already in the queue are
// untouched, and that no key was written for a refused input.
//
// Replay a failure with the seed it prints:  FUZZ_SEED=1234 node test/run.mjs fuzz
// FUZZ_INPUTS=n overrides the number of inputs per backend.
import * as assert from 'uvu/assert';
import { ValidationError } from '../../dist/index.js';
import { describeBackends, keysEverywhere, openQueue } from '../helpers/backends.mjs';
import { caseGenerator } from '../helpers/fuzz-inputs.mjs';

const SEED = process.env.FUZZ_SEED === undefined ? (Date.now() ^ (process.pid << 8)) >>> 0 : Number(process.env.FUZZ_SEED) >>> 0;
// ioredis-mock runs every script in a fresh Lua VM (~9 ms a call, slower as its keyspace
// grows), so it gets half the inputs: 10,000 would take about 40 s there.
const INPUTS = { 'redis-server': 10_000, 'ioredis-mock': 5_000, 'redis-cluster': 10_000 };
const LIMIT = 64 * 1024;
const CALL_TIMEOUT_MS = 20_000;
/** Index keys of every shard; `layout` (the stamp) lives in shard 0 only. */
const INDEX_KEYS = ['wait:short', 'wait:long', 'delayed', 'active', 'completed', 'dead', 'seq'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOUR = 3_600_000;
const POLLUTION_MARKERS = ['polluted', 'isAdmin', 'id', 'lane', 'priority', 'payload'];

/** Problems grouped by kind, so a report shows every kind of failure, not just the first few cases. */
class Problems {
  #byKind = new Map();
  count = 0;

  add(kind, detail) {
    this.count += 1;
    const examples = this.#byKind.get(kind) ?? [];
    if (examples.length < 3) examples.push(detail);
    this.#byKind.set(kind, examples);
  }

  report() {
    const lines = [];
    for (const [kind, examples] of this.#byKind) lines.push(`[${kind}] e.g.`, ...examples.map((e) => `  ${e}`));
    return lines.join('\n  ');
  }
}

/** Resolves to { value } or { error }, or { hang: true } when the call never settles. */
function settle(call) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ hang: true }), CALL_TIMEOUT_MS);
  });
  const outcome = Promise.resolve().then(call).then((value) => ({ value }), (error) => ({ error }));
  return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer));
}

function errorSummary(error) {
  try {
    return `${error?.constructor?.name ?? typeof error} code=${String(error?.code)} field=${JSON.stringify(error?.field)}: ${String(error?.message).slice(0, 200)}`;
  } catch {
    return 'an unprintable throw';
  }
}

/** The fault with a refusal as [kind, detail], or null when it is a coded ValidationError for an expected field. */
function refusalProblem(testCase, error) {
  let kind = null;
  if (!(error instanceof ValidationError)) kind = `threw ${error?.constructor?.name ?? typeof error}, not a ValidationError`;
  else if (error.code !== 'TASKLANE_ERR_INVALID_INPUT') kind = 'wrong code';
  else if (typeof error.field !== 'string' || error.field.length === 0) kind = 'no field';
  else if (!error.message.includes(error.field)) kind = 'message does not name the field';
  else if (!/^(Expected|Unknown field) /.test(error.message)) kind = 'message not in the "Expected `field` to be …" shape';
  else if (testCase.ok) kind = 'a valid input was refused';
  else if (!testCase.fields(error.field)) kind = 'refused for an unexpected field';
  return kind && [kind, errorSummary(error)];
}

/** ~50 tasks in every state: completed, dead, active (claimed) and waiting or delayed. Returns their ids. */
async function seedQueue(queue) {
  const ids = (group, n) => Array.from({ length: n }, (_, i) => `seed-${group}-${i}${['', '-😀', '-{x}', ' *', '\n', '-\0', '-שלום', '-e\u0301'][i % 8]}`);
  const lease = { leaseMs: HOUR, owner: 'seed-worker', max: 100 };
  const completed = ids('completed', 12);
  await queue.enqueueMany(completed.map((id, i) => ({ id, payload: { i }, priority: i })));
  const toComplete = await queue.claim('short', lease);
  assert.equal(await queue.completeMany(toComplete.map((l) => ({ lease: l, result: { done: l.id } }))), toComplete.map(() => true));
  const dead = ids('dead', 11);
  await queue.enqueueMany(dead.map((id) => ({ id, type: 'mail', payload: [id] })));
  for (const l of await queue.claim('short', lease)) assert.is(await queue.fail(l, new Error(`fatal ${l.id}`), { retryable: false }), 'dead');
  const active = ids('active', 12);
  await queue.enqueueMany(active.map((id, i) => ({ id, lane: i % 2 ? 'long' : 'short', timeoutMs: i % 2 ? undefined : 5000 })));
  assert.is((await queue.claim('short', lease)).length + (await queue.claim('long', lease)).length, active.length);
  const waiting = ids('waiting', 15);
  await queue.enqueueMany(waiting.map((id, i) => ({ id, lane: i % 3 ? 'short' : 'long', priority: 10 * i, delayMs: i % 4 === 0 ? HOUR : 0, payload: { nested: { i, s: id } } })));
  const stats = await queue.stats();
  assert.equal([stats.completed, stats.dead, stats.active], [completed.length, dead.length, active.length]);
  return [...completed, ...dead, ...active, ...waiting];
}

/** Raw hashes and decoded records of the seeded tasks, and the full index sets. */
async function snapshot(queue, client, ids) {
  const records = new Map();
  for (const id of ids) {
    const raw = Object.entries(await client.hgetall(queue.keysFor(id).task(id))).sort(([a], [b]) => (a < b ? -1 : 1));
    records.set(id, JSON.stringify([raw, await queue.get(id)]));
  }
  // Each set of every shard, shard after shard (one slot per command on a cluster).
  const sets = {};
  for (const name of ['wait:short', 'wait:long', 'delayed', 'active', 'completed', 'dead']) {
    sets[name] = [];
    for (const keys of queue.shardKeys) sets[name].push(...await client.zrange(`${keys.prefix}${name}`, 0, -1, 'WITHSCORES'));
  }
  const s = await queue.stats();
  return { records, sets, counts: { short: s.waiting.short, long: s.waiting.long, delayed: s.delayed } };
}

/**
 * Sends `total` generated cases and judges each outcome as it comes. Returns the ids the queue
 * now knows, the expected record of each task added, and how many tasks went to each lane.
 */
async function runCases(queue, total, seeded, problems) {
  const knownIds = [...seeded]; // read live by the generator, to aim cases at known ids
  const known = new Set(seeded);
  const stored = new Map();
  const added = { short: 0, long: 0, delayed: 0 };
  const tally = { accepted: 0, refused: 0 };
  const next = caseGenerator(SEED, { knownIds, limit: LIMIT });
  const fail = (index, testCase, kind, detail = '') => problems.add(kind, `#${index} ${testCase.label.slice(0, 300)}${detail ? `\n      → ${detail}` : ''}`);

  for (let i = 0; i < total; i += 1) {
    const testCase = next();
    const outcome = await settle(() => (testCase.kind === 'one' ? queue.enqueue(testCase.input) : queue.enqueueMany(testCase.input)));
    if (outcome.hang) {
      fail(i, testCase, `did not settle within ${CALL_TIMEOUT_MS} ms`);
      continue;
    }
    if ('error' in outcome) {
      tally.refused += 1;
      const problem = refusalProblem(testCase, outcome.error);
      if (problem) fail(i, testCase, ...problem);
      continue;
    }
    tally.accepted += 1;
    if (!testCase.ok) {
      fail(i, testCase, 'accepted an input that must be refused', JSON.stringify(outcome.value)?.slice(0, 200));
      continue;
    }
    const results = testCase.kind === 'one' ? [outcome.value] : outcome.value;
    if (!Array.isArray(results) || results.length !== testCase.tasks.length) {
      fail(i, testCase, 'wrong number of results', `expected ${testCase.tasks.length}, got ${JSON.stringify(results)?.slice(0, 200)}`);
      continue;
    }
    results.forEach((result, k) => {
      const task = testCase.tasks[k];
      const idOk = task.id === undefined ? UUID.test(result?.id) : result?.id === task.id;
      if (!idOk || typeof result.duplicate !== 'boolean') {
        fail(i, testCase, 'wrong result id', `result ${k} is ${JSON.stringify(result)}, expected id ${JSON.stringify(task.id ?? 'a UUID')}`);
      } else if (result.duplicate !== known.has(result.id)) {
        fail(i, testCase, 'wrong duplicate flag', `result ${k}: duplicate is ${result.duplicate} for ${JSON.stringify(result.id)}`);
      } else if (!result.duplicate) {
        known.add(result.id);
        knownIds.push(result.id);
        stored.set(result.id, task);
        if (task.delayMs > 0) added.delayed += 1;
        else added[task.lane] += 1;
      }
    });
  }
  return { known, stored, added, ...tally };
}

/** Every task added is stored as it was given. */
async function checkStored(queue, client, stored, problems) {
  for (const [id, task] of stored) {
    const raw = await client.hgetall(queue.keysFor(id).task(id));
    const want = { type: task.type, lane: task.lane, pri: String(task.priority), max: String(task.maxAttempts), to: String(task.timeoutMs), state: task.delayMs > 0 ? 'delayed' : 'waiting' };
    const got = { type: raw.type, lane: raw.lane, pri: raw.pri, max: raw.max, to: raw.to, state: raw.state };
    // A payload over 64 bytes is kept in its own key, which the record's `pk` names.
    const payload = raw.pk === undefined ? raw.payload : await client.get(queue.keysFor(id).payload(id));
    if (task.payloadJson !== undefined) [want.payload, got.payload] = [task.payloadJson, payload];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.add('accepted task stored wrong', `${JSON.stringify(id)}\n      got  ${JSON.stringify(got).slice(0, 300)}\n      want ${JSON.stringify(want).slice(0, 300)}`);
    }
  }
}

/** Seeded tasks are byte-for-byte what they were; the fuzz may only add to the waiting and delayed sets. */
function checkSeeded(before, after, added, problems) {
  for (const [id, record] of before.records) {
    if (after.records.get(id) !== record) problems.add('seeded task changed', `${JSON.stringify(id)}\n      before ${record.slice(0, 300)}\n      after  ${after.records.get(id).slice(0, 300)}`);
  }
  for (const name of ['active', 'completed', 'dead']) {
    if (JSON.stringify(after.sets[name]) !== JSON.stringify(before.sets[name])) problems.add('seeded index changed', name);
  }
  for (const name of ['wait:short', 'wait:long', 'delayed']) {
    const scores = new Map();
    for (let k = 0; k < after.sets[name].length; k += 2) scores.set(after.sets[name][k], after.sets[name][k + 1]);
    for (let k = 0; k < before.sets[name].length; k += 2) {
      if (scores.get(before.sets[name][k]) !== before.sets[name][k + 1]) problems.add('seeded index member lost or moved', `${name}: ${JSON.stringify(before.sets[name][k])}`);
    }
  }
  const want = { short: before.counts.short + added.short, long: before.counts.long + added.long, delayed: before.counts.delayed + added.delayed };
  if (JSON.stringify(after.counts) !== JSON.stringify(want)) problems.add('wrong stats', `${JSON.stringify(after.counts)}, expected ${JSON.stringify(want)}`);
}

/** Whether `key` is under the prefix of one of the queue's shards. */
const insideQueue = (queue, key) => queue.shardKeys.some((keys) => key.startsWith(keys.prefix));

/**
 * Under the shards' prefixes: only each shard's index keys and enqueued-per-type counter, the
 * layout stamp in shard 0, and the records, long payloads and dedup markers of known ids in
 * their own shard, and a record for each of them. Outside them: no key that was not there before.
 */
function checkKeys(queue, allKeys, outsideBefore, known, problems) {
  const allowed = new Set([queue.keys.layout]);
  for (const keys of queue.shardKeys) {
    for (const name of INDEX_KEYS) allowed.add(keys.prefix + name);
    allowed.add(keys.enqueuedCounts);
  }
  for (const id of known) {
    const keys = queue.keysFor(id);
    allowed.add(keys.task(id)).add(keys.dedup(id)).add(keys.payload(id));
  }
  const inside = allKeys.filter((k) => insideQueue(queue, k));
  // A claim's memo (what it leased, for a resent claim) lives for the lease length: the round trip leaves one.
  const claimMemo = (key) => queue.shardKeys.some(({ prefix }) => key.startsWith(`${prefix}c:`) && key.length === prefix.length + 'c:'.length + 12);
  for (const key of inside) if (!allowed.has(key) && !claimMemo(key)) problems.add('stray key', JSON.stringify(key).slice(0, 200));
  const keys = new Set(inside);
  for (const id of known) if (!keys.has(queue.keysFor(id).task(id))) problems.add('no record for an accepted id', JSON.stringify(id));
  for (const key of allKeys) if (!insideQueue(queue, key) && !outsideBefore.has(key)) problems.add("key written outside the queue's prefix", JSON.stringify(key).slice(0, 200));
  return inside.length;
}

function checkPrototype(protoBefore, problems) {
  for (const marker of POLLUTION_MARKERS) if (({})[marker] !== undefined) problems.add('prototype pollution', `Object.prototype.${marker} is set`);
  if (JSON.stringify(Reflect.ownKeys(Object.prototype).map(String).sort()) !== JSON.stringify(protoBefore)) problems.add('prototype pollution', 'Object.prototype gained keys');
}

/** Still serving: a normal enqueue, claim, complete on the same queue. Fuzzed tasks may sit ahead of it. */
async function roundTrip(queue) {
  const id = `roundtrip-${SEED}`;
  assert.equal(await queue.enqueue({ id, payload: { ping: true }, priority: 0 }), { id, duplicate: false });
  let lease;
  for (let round = 0; !lease && round < 100; round += 1) {
    const leases = await queue.claim('short', { max: 500, leaseMs: 60_000, owner: 'roundtrip' });
    assert.ok(leases.length > 0, 'the round-trip task was claimable');
    lease = leases.find((l) => l.id === id);
  }
  assert.equal(lease.payload, { ping: true });
  assert.is(await queue.complete(lease, { pong: true }), true);
  const done = await queue.get(id);
  assert.equal([done.state, done.result], ['completed', { pong: true }]);
}

await describeBackends('TaskQueue enqueue fuzz', (test, backend) => {
  test(`random and hostile inputs are accepted or refused with a coded error, and harm nothing (seed ${SEED})`, async () => {
    const total = Number(process.env.FUZZ_INPUTS ?? INPUTS[backend.name]);
    const { queue, client, cleanup } = openQueue(backend, { maxPayloadBytes: LIMIT });
    const problems = new Problems();
    const onUnhandled = (reason) => problems.add('unhandled rejection', errorSummary(reason));
    const onUncaught = (error) => problems.add('uncaught exception', errorSummary(error));
    const protoBefore = Reflect.ownKeys(Object.prototype).map(String).sort();
    try {
      const seeded = await seedQueue(queue);
      const before = await snapshot(queue, client, seeded);
      const outsideBefore = new Set((await keysEverywhere(client, '*')).filter((k) => !insideQueue(queue, k)));
      process.on('unhandledRejection', onUnhandled);
      process.on('uncaughtException', onUncaught);
      const started = Date.now();
      const run = await runCases(queue, total, seeded, problems);
      const fuzzMs = Date.now() - started;
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUncaught);

      await checkStored(queue, client, run.stored, problems);
      checkSeeded(before, await snapshot(queue, client, seeded), run.added, problems);
      const keyCount = checkKeys(queue, await keysEverywhere(client, '*'), outsideBefore, run.known, problems);
      checkPrototype(protoBefore, problems);
      console.log(`  fuzz [${backend.name}] seed ${SEED}: ${total} inputs (${run.accepted} accepted, ${run.refused} refused, ${run.stored.size} tasks added) in ${fuzzMs} ms; ${keyCount} keys under the prefix`);
      if (problems.count > 0) {
        console.error(`  fuzz [${backend.name}] failed; replay with FUZZ_SEED=${SEED}`);
        assert.unreachable(`FUZZ_SEED=${SEED}: ${problems.count} problem(s) on ${backend.name}:\n  ${problems.report()}`);
      }
      await roundTrip(queue);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUncaught);
      // Per shard: one DEL touches keys of one slot.
      for (const { prefix } of queue.shardKeys) {
        const leftovers = await keysEverywhere(client, `${prefix}*`).catch(() => []);
        for (let k = 0; k < leftovers.length; k += 1000) await client.del(...leftovers.slice(k, k + 1000)).catch(() => {});
      }
      await cleanup();
    }
  });
});
