// POST /tasks with the fuzzer's random and hostile task inputs and batches, sent as JSON:
// every answer is a created or duplicate task, or a coded refusal naming a field, never a
// 500; and the server still answers afterwards.
//
// Replay a failure with the seed it prints:  FUZZ_SEED=1234 node test/run.mjs http-fuzz
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { caseGenerator } from '../helpers/fuzz-inputs.mjs';
import { send } from '../helpers/http.mjs';

const SEED = process.env.FUZZ_SEED === undefined ? (Date.now() ^ (process.pid << 8)) >>> 0 : Number(process.env.FUZZ_SEED) >>> 0;
const CASES = 400;

const test = suite('http: fuzzed task bodies');

test(`${CASES} fuzzed bodies: 200/201, or 400/413 with a code, never 5xx (seed ${SEED})`, async () => {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('http-fuzz') });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0 });
  const { url } = await server.listen();
  const next = caseGenerator(SEED, { knownIds: ['known-a', 'known-b'], limit: 1 << 20 });
  const seen = new Map();
  let sent = 0;
  try {
    for (let i = 0; i < CASES; i++) {
      const c = next();
      let body;
      try {
        body = JSON.stringify(c.input);
      } catch {
        continue; // BigInt, cycles: not something a client can send as JSON
      }
      if (body === undefined) continue;
      sent += 1;
      const r = await send(url, 'POST', '/tasks', { headers: { 'content-type': 'application/json' }, body });
      const label = `seed ${SEED}, case ${i} (${c.label ?? c.kind}): ${r.status} ${r.text.slice(0, 300)}`;
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
      assert.ok([200, 201, 400, 413].includes(r.status), label);
      if (r.status >= 400) {
        assert.match(r.json?.error?.code ?? '', /^TASKLANE_ERR_/, label);
        if (r.status === 400 && r.json.error.code === 'TASKLANE_ERR_INVALID_INPUT') assert.type(r.json.error.field, 'string', label);
      }
    }
    assert.ok(sent >= CASES / 2, `only ${sent} of ${CASES} cases were JSON`);
    assert.ok(seen.has(201) && seen.has(400), `answers: ${JSON.stringify([...seen])}`);
    assert.is((await send(url, 'GET', '/healthz')).status, 200);
  } finally {
    await server.close();
    await queue.close();
  }
});

test.run();
