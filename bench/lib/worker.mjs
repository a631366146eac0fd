// A benchmark worker process, forked by bench/run.mjs:
//   node bench/lib/worker.mjs <system> <role> <json config>
// Roles:
//   bulk     enqueue `tasks` payloads with the system's bulk API, `batch` per call, awaited in turn
//   work     one consumer at `concurrency` running the `handler` (noop | http | latency)
//   produce  single enqueues at a steady `rate` for `warmupMs` + `durationMs`, timer-driven
// Each role opens its connection, says `ready`, and starts only on `go`, so that
// connection setup stays out of both the timings and the Redis command counts.
import { now } from './clock.mjs';
import { createHttpCall } from './http-call.mjs';
import { checkRunnerMessage, errorData } from './ipc.mjs';
import { SYSTEMS } from './systems/types.mjs';

const PROGRESS_EVERY_MS = 100;
const CLOSE_TIMEOUT_MS = 10_000;

const [system, role, json] = process.argv.slice(2);

try {
  if (!Object.hasOwn(SYSTEMS, system)) throw new Error(`unknown system ${system}`);
  const adapter = await SYSTEMS[system]();
  const config = JSON.parse(json);
  if (role === 'bulk') await bulk(adapter, config);
  else if (role === 'work') await work(adapter, config);
  else if (role === 'produce') await produce(adapter, config);
  else throw new Error(`unknown role ${role}`);
} catch (error) {
  finish({ type: 'failed', error: errorData(error) }, 1);
}

async function bulk(adapter, { url, cluster, shards, queue, retentionMs, tasks, batch }) {
  const producer = await adapter.openProducer({ url, cluster, shards, queue, retentionMs });
  const batches = [];
  for (let i = 0; i < tasks; i += batch) {
    batches.push(Array.from({ length: Math.min(batch, tasks - i) }, (_, j) => ({ i: i + j })));
  }
  await ready();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (const payloads of batches) await producer.addBulk(payloads);
  const ms = now() - t0;
  const cpuMs = cpuMsSince(cpu0);
  await closeWithin(producer);
  finish({ type: 'bulk-done', ms, cpuMs });
}

async function work(adapter, { url, cluster, shards, queue, retentionMs, concurrency, handler, httpUrl }) {
  let completed = 0;
  let first = null;
  let last = null;
  const samples = [];
  const http = handler === 'http' ? createHttpCall(httpUrl, concurrency) : null;
  const handlers = {
    noop: async () => null,
    http: (payload) => http.call(payload),
    latency: async (payload) => {
      if (!payload.w) samples.push(now() - payload.t);
      return null;
    },
  };
  if (!Object.hasOwn(handlers, handler)) throw new Error(`unknown handler ${handler}`);
  const consumer = await adapter.openConsumer({
    url, cluster, shards, queue, retentionMs, concurrency,
    handler: handlers[handler],
    onCompleted: () => {
      const t = now();
      first ??= t;
      last = t;
      completed += 1;
    },
  });
  await ready();
  const cpu0 = process.cpuUsage();
  consumer.start();
  const report = () => process.send({ type: 'progress', completed, first, last });
  const timer = setInterval(report, PROGRESS_EVERY_MS);
  await nextMessage('stop');
  clearInterval(timer);
  const final = { completed, first, last, cpuMs: cpuMsSince(cpu0) };
  await closeWithin(consumer);
  await http?.close();
  finish({ type: 'stopped', ...final, samples: handler === 'latency' ? samples : undefined });
}

async function produce(adapter, { url, queue, retentionMs, rate, warmupMs, durationMs }) {
  const producer = await adapter.openProducer({ url, queue, retentionMs });
  await ready();
  const total = Math.round((rate * (warmupMs + durationMs)) / 1000);
  const warmup = Math.round((rate * warmupMs) / 1000);
  let sent = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await new Promise((resolve) => {
    // Each tick sends what the schedule says is due by now, one enqueue call per task, without
    // waiting for earlier calls: a steady producer, not one paced by the queue's replies.
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000));
      while (sent < due) {
        const payload = { t: now(), w: sent < warmup ? 1 : 0 };
        sent += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        producer.add(payload).then(() => { inFlight -= 1; }, (err) => {
          inFlight -= 1;
          failures += 1;
          if (failures === 1) console.error(`${adapter.name} producer: ${err.message}`);
        });
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedMs = now() - t0;
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  const cpuMs = cpuMsSince(cpu0);
  await closeWithin(producer);
  finish({ type: 'produce-done', sent, measured: total - warmup, failures, maxInFlight, elapsedMs, cpuMs });
}

/** CPU time (user + system) this process used since `start`, in ms. */
function cpuMsSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

async function ready() {
  process.send({ type: 'ready' });
  await nextMessage('go');
}

function nextMessage(type) {
  return new Promise((resolve) => {
    const listener = (raw) => {
      const message = checkRunnerMessage(raw);
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
  });
}

/** A library whose close hangs must not hold the benchmark; the process exits anyway. */
async function closeWithin(closable) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS); });
  await Promise.race([closable.close().catch((err) => console.error(`close: ${err.message}`)), timeout]);
  clearTimeout(timer);
}

function finish(message, code = 0) {
  // Exit once the message is written: some clients keep timers alive after close().
  process.send(message, () => process.exit(code));
}
