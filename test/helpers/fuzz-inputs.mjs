// Seeded generators of random and hostile enqueue inputs. Every generated case carries the
// verdict the queue must reach, so the fuzz test can tell "rejected as it should be" from
// "accepted by mistake" and check what an accepted input stored.
//
// A case is { kind: 'one' | 'many', input, label, ok, fields, tasks }:
//   ok      the queue must accept it;
//   fields  when !ok, a predicate on `err.field` (which field may be named);
//   tasks   when ok, the stored form of each task: { id | undefined (a UUID), type, lane,
//           priority, payloadJson | undefined (not checked), delayMs, maxAttempts, timeoutMs };
//   label   a description built from generator names, never from String(hostile value).
import { DEFAULTS, FIELDS, Rng, Thing, bigValues, fieldValue, revokedProxy } from './fuzz-values.mjs';

/**
 * Puts a field on the input: as a plain property mostly, else as a hidden property, a getter,
 * a getter that throws, or a getter whose later reads return garbage (only the first read may
 * count, or the queue could validate one value and store another). Returns [label, ok].
 */
function attach(r, target, field, value, ok, mayThrow) {
  const mode = r.int(0, 11);
  switch (mode === 2 && !mayThrow ? 1 : mode) {
    case 0: Object.defineProperty(target, field, { value, enumerable: false }); return ['hidden', ok];
    case 1: Object.defineProperty(target, field, { get: () => value, enumerable: true }); return ['getter', ok];
    case 2: Object.defineProperty(target, field, { get() { throw r.pick([new Error('getter'), null, 'str', Symbol('s')]); }, enumerable: true }); return ['throwing getter', false];
    case 3: {
      let reads = 0;
      Object.defineProperty(target, field, { get: () => (reads++ === 0 ? value : Symbol('second read')), enumerable: true });
      return ['flip-flop getter', ok];
    }
    default: target[field] = value; return ['', ok];
  }
}

const UNKNOWN_KEYS = [
  () => ['JSON __proto__', null], () => ['defined __proto__', '__proto__'], () => ['constructor', 'constructor'], () => ['prototype', 'prototype'],
  () => ['polluted', 'polluted'], () => ['ID', 'ID'], () => ['"payload "', 'payload '], () => ['""', ''], () => ['"0"', '0'], () => ['"a b"', 'a b'],
  () => ['Symbol(id)', Symbol('id')], () => ['Symbol.iterator', Symbol.iterator], () => ['"😀"', '😀'], () => ['"{x}"', '{x}'],
];

/** The field name the queue reports for an unknown own key (see fieldPath in validate.ts). */
export function unknownKeyField(key) {
  if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) return key;
  return `[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]`;
}

/**
 * One task input with its verdict, relative to its position: a `fields` entry '' means the
 * input itself, otherwise a field name as the queue reports it. `wantValid` draws only
 * values the queue must accept, though still in odd containers and through getters.
 */
function taskInput(r, ctx, wantValid) {
  const kind = wantValid ? r.pick([2, 3, 4, 7, 8, 9]) : r.int(0, 19);
  if (kind === 0) {
    const [label, make] = r.pick([
      ['null', () => null], ['undefined', () => undefined], ['number', () => 42], ['string', () => 'task'], ['Symbol', () => Symbol('t')], ['BigInt', () => 1n],
      ['true', () => true], ['array', () => [{ id: 'x' }]], ['array with fields', () => Object.assign([], { id: 'x' })],
      ['function with fields', () => Object.assign(() => {}, { id: 'x' })], ['Date', () => new Date()], ['Map', () => new Map([['id', 'x']])],
      ['Set', () => new Set()], ['RegExp', () => /x/], ['Promise', () => Promise.resolve({ id: 'x' })], ['Error', () => new Error('x')],
      ['empty Uint8Array', () => new Uint8Array(0)], ['ArrayBuffer', () => new ArrayBuffer(0)], ['WeakMap', () => new WeakMap()],
      ['class instance', () => new Thing()], ['Boolean object', () => new Boolean(false)],
      ['inherited fields', () => Object.create({ lane: 'long', id: 'inherited' })], ['revoked proxy', revokedProxy],
      ['proxy ownKeys throws', () => new Proxy({}, { ownKeys() { throw new Error('trap'); } })],
      ['proxy getPrototypeOf throws', () => new Proxy({}, { getPrototypeOf() { throw null; } })],
    ]);
    return { label, input: make(), ok: false, fields: [''] };
  }
  if (kind === 1) {
    // `arguments` has Object.prototype as prototype, and own keys `length` and `callee`.
    const args = (function () { return arguments; })();
    return { label: 'arguments object', input: args, ok: false, fields: ['length', 'callee', '[Symbol(Symbol.iterator)]'] };
  }

  const container = kind === 2 ? 'null-proto' : kind === 3 ? 'frozen' : kind === 4 ? 'proxy' : kind === 5 ? 'proxy get throws' : kind === 6 ? 'proxy gOPD throws' : 'plain';
  const target = container === 'null-proto' ? Object.create(null) : {};
  const parts = [];
  const badFields = [];
  const stored = { ...DEFAULTS, id: undefined, payloadJson: 'null' };
  for (const field of FIELDS) {
    if (!r.chance(ctx.fieldRate)) continue;
    let [label, value, ok, expected] = fieldValue(r, field, ctx);
    for (let tries = 0; wantValid && !ok && tries < 50; tries += 1) [label, value, ok, expected] = fieldValue(r, field, ctx);
    if (r.chance(0.08) || !ok && wantValid) [label, value, ok, expected] = ['undefined', undefined, true, undefined];
    const [how, okAttached] = attach(r, target, field, value, ok, !wantValid);
    parts.push(`${field}: ${how ? `${how} ` : ''}${label}`);
    if (!okAttached) badFields.push(field);
    else if (value !== undefined) stored[field === 'payload' ? 'payloadJson' : field] = expected;
  }
  if (!wantValid && r.chance(ctx.unknownRate)) {
    const [label, key] = r.pick(UNKNOWN_KEYS)();
    if (key === null) {
      const parsed = JSON.parse('{"__proto__": {"polluted": true}}');
      Object.defineProperty(target, '__proto__', Object.getOwnPropertyDescriptor(parsed, '__proto__'));
      badFields.push('__proto__');
    } else {
      Object.defineProperty(target, key, { value: { polluted: true }, enumerable: r.chance(0.5) });
      badFields.push(unknownKeyField(key));
    }
    parts.push(`unknown key ${label}`);
  }

  let input = target;
  if (container === 'frozen') input = Object.freeze(target);
  if (container === 'proxy') input = new Proxy(target, {});
  if (container === 'proxy get throws') {
    input = new Proxy(target, { get() { throw new Error('get trap'); } });
    // Only fields that are present are read.
    for (const field of FIELDS) if (Object.hasOwn(target, field) && !badFields.includes(field)) badFields.push(field);
  }
  if (container === 'proxy gOPD throws') {
    input = new Proxy(target, { getOwnPropertyDescriptor() { throw new Error('gOPD trap'); } });
    badFields.push('', ...FIELDS);
  }
  const ok = badFields.length === 0;
  const label = `${container === 'plain' ? '' : `${container} `}{${parts.join(', ')}}`;
  return { label, input, ok, fields: badFields, task: ok ? stored : undefined };
}

/** The field name for an error at `rel` of input number `index` of a batch ('' = the input). */
function batchField(index, rel) {
  const at = `inputs[${index}]`;
  if (rel === '') return at;
  return rel.startsWith('[') ? `${at}${rel}` : `${at}.${rel}`;
}

/** Batch shapes, by the share of batches (out of 80) that take each. */
const SHAPES = [['not an array', 8], ['hole', 8], ['throwing index getter', 8], ['proxy', 8], ['frozen', 8], ['Array subclass', 8], ['plain', 32]];
/** A batch of over 500 valid inputs (two script calls) comes every this many cases: costly on ioredis-mock. */
const BIG_BATCH_EVERY = 1500;

function batchShape(r) {
  let roll = r.int(0, 79);
  for (const [shape, share] of SHAPES) {
    if (roll < share) return shape;
    roll -= share;
  }
  return 'plain';
}

function batch(r, ctx, shape = batchShape(r)) {
  if (shape === 'not an array') {
    const [label, value] = r.pick([
      ['null', null], ['undefined', undefined], ['object', {}], ['array-like', { length: 1, 0: {} }], ['string', 'abc'], ['Set', new Set([{}])],
      ['Uint8Array', new Uint8Array(2)], ['revoked proxy', revokedProxy()], ['single input', { id: 'x' }],
      ['proxy of array, length throws', new Proxy([{}], { get(t, p) { if (p === 'length') throw new Error('trap'); return Reflect.get(t, p); } })],
    ]);
    return { kind: 'many', label: `enqueueMany(${label})`, input: value, ok: false, fields: (f) => f === 'inputs' };
  }
  const size = shape === 'over 500 valid' ? r.int(501, 540) : r.int(0, 12);
  const allValid = shape === 'over 500 valid' || r.chance(ctx.validRate);
  const items = Array.from({ length: size }, () => taskInput(r, ctx, allValid));
  let input = items.map((t) => t.input);
  let label = size > 20 ? `${size} valid inputs` : items.map((t) => t.label).join(', ');
  const bad = new Set();
  items.forEach((t, i) => {
    if (!t.ok) for (const rel of t.fields) bad.add(batchField(i, rel));
  });
  if (size > 0 && shape === 'hole') {
    const hole = r.int(0, size - 1);
    delete input[hole];
    bad.add(batchField(hole, ''));
    label += ` with a hole at ${hole}`;
  } else if (size > 0 && shape === 'throwing index getter') {
    const at = r.int(0, size - 1);
    Object.defineProperty(input, at, { get() { throw new Error('index getter'); }, enumerable: true });
    bad.add(batchField(at, ''));
    label += ` with a throwing getter at ${at}`;
  } else if (shape === 'proxy') {
    input = new Proxy(input, {});
    label = `proxy of [${label}]`;
  } else if (shape === 'frozen') {
    input = Object.freeze(input);
  } else if (shape === 'Array subclass') {
    class Evil extends Array {
      map() { throw new Error('Evil.map'); }
    }
    input = Evil.from(input);
    label = `Array subclass of [${label}]`;
  }
  const ok = bad.size === 0;
  return { kind: 'many', label: `enqueueMany([${label}])`, input, ok, fields: (f) => bad.has(f), tasks: ok ? items.map((t) => t.task) : undefined };
}

/**
 * A generator of cases. `ctx.knownIds` (ids the queue already holds) is read live, so cases
 * may reuse them to exercise dedup.
 * @param {number} seed
 * @param {{ knownIds: string[], limit: number }} options
 */
export function caseGenerator(seed, { knownIds, limit }) {
  const r = new Rng(seed);
  const ctx = { knownIds, big: bigValues(limit), fieldRate: 0.55, unknownRate: 0.04, validRate: 0.3 };
  let count = 0;
  return () => {
    count += 1;
    if (count % BIG_BATCH_EVERY === BIG_BATCH_EVERY / 2) return batch(r, ctx, 'over 500 valid');
    if (r.chance(0.2)) return batch(r, ctx);
    const t = taskInput(r, ctx, r.chance(ctx.validRate));
    const fields = new Set(t.fields.map((rel) => (rel === '' ? 'input' : rel)));
    return { kind: 'one', label: `enqueue(${t.label})`, input: t.input, ok: t.ok, fields: (f) => fields.has(f), tasks: t.ok ? [t.task] : undefined };
  };
}
