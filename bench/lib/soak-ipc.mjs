// Messages between bench/soak.mjs and its worker processes (bench/lib/soak-worker.mjs),
// tagged by `type` and checked where they arrive.
//
// Worker → soak:
//   ready    the actor is claiming
//   sample   reply to a `sample` request: tasks completed (and failed, and store errors the
//            actor retried) so far, the worker's own memory and CPU time, and when
//            it counted (`atMs`, epoch ms), so rates do not depend on IPC delays
//   stopped  the actor has drained; the final counts
//   failed   a plain-data error { name, message, stack, code }
// Soak → worker:
//   sample   asks for a `sample` reply carrying the same `seq`
//   stop     stop claiming, drain, close, exit

const WORKER_FIELDS = {
  ready: [],
  sample: ['seq', 'atMs', 'done', 'failed', 'storeErrors', 'rssBytes', 'heapUsedBytes', 'cpuMicros'],
  stopped: ['done', 'failed', 'storeErrors'],
  failed: [],
};
const SOAK_FIELDS = { sample: ['seq'], stop: [] };

/**
 * Throws unless `message` is a worker → soak message with all its numeric fields.
 *
 * @example
 * child.on('message', (m) => handle(checkSoakWorkerMessage(m)));
 */
export function checkSoakWorkerMessage(message) {
  return check(message, WORKER_FIELDS, 'a soak worker');
}

/**
 * Throws unless `message` is a soak → worker message.
 *
 * @example
 * process.on('message', (m) => handle(checkSoakMessage(m)));
 */
export function checkSoakMessage(message) {
  return check(message, SOAK_FIELDS, 'bench/soak.mjs');
}

/**
 * An error as plain data, since Error objects do not survive IPC.
 *
 * @example
 * process.send({ type: 'failed', error: soakErrorData(err) });
 */
export function soakErrorData(error) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, stack: e.stack, code: e.code };
}

function check(message, fields, from) {
  const known = message && typeof message === 'object' && Object.hasOwn(fields, message.type);
  const complete = known && fields[message.type].every((f) => Number.isFinite(message[f]));
  if (!complete) throw new Error(`unexpected message from ${from}: ${JSON.stringify(message)?.slice(0, 200)}`);
  return message;
}
