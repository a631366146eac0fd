// Seeded generators of field values for the enqueue fuzz test (test/infra/fuzz.test.mjs):
// valid, boundary, wrong-typed and hostile values for each TaskInput field, each with the
// verdict the queue must reach and, when valid, the form the record must store.
import { randomSource } from '../../scripts/lib/flaky-steps.mjs';

/** Seeded picks (mulberry32, a 2^32 period: plenty for picking cases). `seed`: an integer from 0. */
export class Rng {
  constructor(seed) {
    this.next = randomSource(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(list) {
    return list[this.int(0, list.length - 1)];
  }
}

export const FIELDS = ['id', 'type', 'lane', 'priority', 'payload', 'delayMs', 'maxAttempts', 'timeoutMs'];
const RANGES = { priority: [0, 2_147_483_647], delayMs: [0, 365 * 24 * 3600 * 1000], maxAttempts: [1, 1000], timeoutMs: [1, 24 * 3600 * 1000] };
export const DEFAULTS = { type: 'http', lane: 'short', priority: 1000, delayMs: 0, maxAttempts: 5, timeoutMs: 0 };

// The documented contract of each field, written out independently of src/infra/validate.ts.
const codePoints = (s) => [...s].length;
const VALID = {
  id: (v) => typeof v === 'string' && v.length > 0 && codePoints(v) <= 256 && v.isWellFormed(),
  type: (v) => typeof v === 'string' && v.length > 0 && v.length <= 128 && v.isWellFormed(),
  lane: (v) => v === 'short' || v === 'long',
};
for (const [field, [min, max]] of Object.entries(RANGES)) {
  VALID[field] = (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

// Characters ids and types are built from: plain, unicode oddities and Redis/glob/key syntax.
const ODD_CHARS = [
  'a', 'Z', '7', '-', '_', '.', 'é', 'ß', '中', '😀', '👨‍👩‍👧', '🏳️‍🌈', '\u{10FFFF}', '\uFFFF', '\uFEFF',
  'ש', 'ل', '\u202E', '\u200F', '\u200B', '\u200C', '\u200D', '\u0301', '\u0302', 'e\u0301',
  '\0', '\x01', '\x7F', '\t', '\n', '\r', ' ', '{', '}', ':', '*', '?', '[', ']', '\\', '"', "'", '%', '$', '/',
];
const ASTRAL = ['😀', '🚀', '\u{1F9EA}', '\u{20000}', '\u{10FFFF}'];

function oddString(r, maxCodePoints) {
  let s = '';
  const n = r.int(1, maxCodePoints);
  for (let i = 0; i < n; i += 1) s += r.pick(ODD_CHARS);
  return s;
}

/** A string of exactly `n` code points, half of them astral (two UTF-16 units each). */
function codePointString(r, n) {
  let s = '';
  for (let i = 0; i < n; i += 1) s += r.chance(0.5) ? r.pick(ASTRAL) : r.pick(['a', 'é', '中', '{', ':']);
  return s;
}

const show = (s) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

export class Thing {
  constructor() {
    this.id = 'thing';
  }
}

export function revokedProxy() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * `n` well-formed ids that are hard to carry in a URL path: dot segments, path and query
 * syntax, key syntax and odd characters, then seeded random strings of ODD_CHARS.
 */
export function hostileIds(r, n) {
  const fixed = ['.', '..', '...', '%2E', '%2e%2E', './x', '../x', 'a/../b', '/', '//', '?', '#', '?id=x', 'retry', '%', '%zz', '\\', '\\..', '+', ' ', '\0',
    'wait:short', 't:x', 'd:x', '*', '{', '}', 'é', '😀', 'cafe\u0301'];
  const ids = [...fixed];
  while (ids.length < n) ids.push(oddString(r, 12));
  return [...new Set(ids)].slice(0, n);
}

/** A value of the wrong type for any field, with its name for the label. */
function wrongType(r) {
  const candidates = [
    ['null', () => null], ['true', () => true], ['false', () => false], ['0', () => 0], ['NaN', () => Number.NaN], ['{}', () => ({})], ['[]', () => []],
    ['["x"]', () => ['x']], ['Symbol', () => Symbol('x')], ['BigInt', () => 10n], ['function', () => () => 'x'], ['Date', () => new Date(0)],
    ['String object', () => new String('short')], ['Number object', () => new Number(5)], ['Uint8Array', () => new Uint8Array([1])],
    ['class instance', () => new Thing()], ['null-proto object', () => Object.create(null)], ['revoked proxy', revokedProxy],
    ['toString throws', () => ({ toString() { throw new Error('toString'); } })],
    ['toPrimitive throws', () => ({ [Symbol.toPrimitive]() { throw null; } })],
    ['proxy with throwing traps', () => new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } })],
  ];
  const [label, make] = r.pick(candidates);
  return [label, make()];
}

function idValue(r, ctx) {
  switch (r.int(0, 11)) {
    case 0: return ['ascii', `fz-${r.int(0, 1e9).toString(36)}`];
    case 1: case 2: { const s = oddString(r, 12); return [`odd ${show(s)}`, s]; }
    case 3: return ['256 code points', codePointString(r, 256)];
    case 4: return ['257 code points', codePointString(r, 257)];
    case 5: return r.pick([['empty', ''], ['lone high surrogate', `x\uD800${r.int(0, 99)}`], ['lone low surrogate', '\uDC00'], ['cut emoji', `id-\uD83D`], ['swapped pair', '\uDE00\uD83D']]);
    case 6: return r.pick([['"wait:short"', 'wait:short'], ['"t:x"', 't:x'], ['"d:x"', 'd:x'], ['"*"', '*'], ['"{"', '{'], ['"}"', '}'], ['"seq"', 'seq'], ['NUL', '\0'], ['" "', ' '], ['"\\n"', '\n']]);
    case 7: case 8: return ctx.knownIds.length > 0 ? ['known id', r.pick(ctx.knownIds)] : ['ascii', `fz-${r.int(0, 1e9)}`];
    case 9: return ['NFC é', 'caf\u00E9'];
    case 10: return ['NFD é', 'cafe\u0301'];
    default: return wrongType(r);
  }
}

function typeValue(r) {
  switch (r.int(0, 7)) {
    case 0: case 1: return ['"http"', 'http'];
    case 2: { const s = oddString(r, 20); return [`odd ${show(s)}`, s]; }
    case 3: return ['128 units', 'T'.repeat(128)];
    case 4: return ['129 units', 'T'.repeat(129)];
    case 5: return ['64 emoji (128 units)', '😀'.repeat(64)];
    case 6: return r.pick([['empty', ''], ['lone surrogate', 't\uD800'], ['65 emoji (130 units)', '😀'.repeat(65)]]);
    default: return wrongType(r);
  }
}

function laneValue(r) {
  switch (r.int(0, 4)) {
    case 0: case 1: return ['"short"', 'short'];
    case 2: return ['"long"', 'long'];
    case 3: return r.pick([['"SHORT"', 'SHORT'], ['"medium"', 'medium'], ['""', ''], ['" short"', ' short'], ['"short\\0"', 'short\0'], ['"long\\u200B"', 'long\u200B']]);
    default: return wrongType(r);
  }
}

function intValue(r, field) {
  const [min, max] = RANGES[field];
  switch (r.int(0, 9)) {
    case 0: case 1: case 2: return ['in range', r.int(min, Math.min(max, min + 1000))];
    case 3: return ['random in range', min + Math.floor(r.next() * (max - min))];
    case 4: return r.pick([['min', min], ['max', max], ['-0', -0]]);
    case 5: return r.pick([['min-1', min - 1], ['max+1', max + 1], ['min+0.5', min + 0.5], ['max+0.5', max + 0.5]]);
    case 6: return r.pick([['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY], ['-Infinity', Number.NEGATIVE_INFINITY], ['1e308', 1e308], ['-1e308', -1e308]]);
    case 7: return r.pick([['MAX_SAFE_INTEGER+1', Number.MAX_SAFE_INTEGER + 1], ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER], ['2^32', 2 ** 32], ['5e-324', 5e-324], ['EPSILON', Number.EPSILON]]);
    case 8: return r.pick([['"5"', '5'], ['"1e3"', '1e3'], ['""', ''], ['{valueOf}', { valueOf: () => 5 }], ['[5]', [5]], ['5n', 5n]]);
    default: return wrongType(r);
  }
}

/** A random JSON document, built as text so its expected serialization is known. */
function jsonText(r, depth) {
  const n = r.int(0, depth > 0 ? 9 : 5);
  if (n === 0) return 'null';
  if (n === 1) return r.pick(['true', 'false', '0', '-1.5', '1e308', '12345678901234567890']);
  if (n <= 3) return JSON.stringify(oddString(r, 10) + r.pick(['', '\uD800', '"\\']));
  if (n <= 6) {
    const keys = ['a', '__proto__', 'constructor', 'prototype', 'polluted', '', oddString(r, 4)];
    const parts = Array.from({ length: r.int(0, 4) }, () => `${JSON.stringify(r.pick(keys))}:${jsonText(r, depth - 1)}`);
    return `{${parts.join(',')}}`;
  }
  return `[${Array.from({ length: r.int(0, 4) }, () => jsonText(r, depth - 1)).join(',')}]`;
}

function nested(depth, leaf, wrap) {
  let v = leaf;
  for (let i = 0; i < depth; i += 1) v = wrap(v);
  return v;
}

/** Values that are expensive to build are built once and shared by every case. */
export function bigValues(limit) {
  const ascii = (bytes) => 'x'.repeat(bytes - 2); // JSON adds two quotes
  const values = {
    deepObject: nested(100_000, 1, (v) => ({ a: v })),
    deepArray: nested(100_000, 1, (v) => [v]),
    deepObjectOk: nested(1000, 1, (v) => ({ a: v })),
    atLimit: ascii(limit),
    underLimit: ascii(limit - 1),
    overLimit: ascii(limit + 1),
    huge: ascii(limit * 4),
    // Fits the limit when counted in characters, not in UTF-8 bytes.
    multiByteOver: '€'.repeat(Math.floor(limit / 3) + 1),
    multiByteUnder: '€'.repeat(Math.floor((limit - 2) / 3)),
    emojiOver: '😀'.repeat(Math.floor(limit / 4) + 1),
  };
  // Expected JSON of the valid ones, computed once.
  const json = {};
  for (const key of ['deepObjectOk', 'atLimit', 'underLimit', 'multiByteUnder']) json[key] = JSON.stringify(values[key]);
  return { ...values, json };
}

/** [label, value, json | undefined when not checked, ok]. Candidates are thunks: only the picked one is built. */
function payloadValue(r, big) {
  const ok = (label, make, json) => () => {
    const value = make();
    return [label, value, json ?? JSON.stringify(value), true];
  };
  const bad = (label, make) => () => [label, make(), undefined, false];
  switch (r.int(0, 12)) {
    case 0: case 1: case 2: { const text = jsonText(r, 4); const value = JSON.parse(text); return [`json ${show(text)}`, value, JSON.stringify(value), true]; }
    case 3: return r.pick([ok('null', () => null), bad('NaN', () => Number.NaN), bad('Infinity', () => Number.POSITIVE_INFINITY), ok('-0', () => -0), ok('1e308', () => 1e308), ok('lone surrogate string', () => 'a\uD800b'), ok('emoji', () => '😀')])();
    case 4: {
      const [label, key] = r.pick([['at limit', 'atLimit'], ['under limit', 'underLimit'], ['multi-byte under limit', 'multiByteUnder'], ['1000 deep', 'deepObjectOk']]);
      return [label, big[key], big.json[key], true];
    }
    case 5: return r.pick([bad('over limit by 1 byte', () => big.overLimit), bad('4x limit', () => big.huge), bad('multi-byte over limit', () => big.multiByteOver), bad('emoji over limit', () => big.emojiOver)])();
    case 6: return r.pick([bad('100k-deep object', () => big.deepObject), bad('100k-deep array', () => big.deepArray)])();
    case 7: return r.pick([bad('BigInt', () => 1n), bad('nested BigInt', () => ({ a: [1, { b: 2n }] })), bad('cycle', cyclic), bad('function', () => () => 1), bad('Symbol', () => Symbol('p'))])();
    case 8: return r.pick([
      bad('getter throws', () => ({ get a() { throw new Error('getter'); } })),
      bad('toJSON throws null', () => ({ toJSON() { throw null; } })),
      bad('toJSON throws undefined', () => ({ toJSON() { throw undefined; } })),
      bad('toJSON throws string', () => ({ toJSON() { throw 'nope'; } })),
      bad('toJSON throws unprintable', () => ({ toJSON() { throw Object.create(null); } })),
      bad('toJSON returns undefined', () => ({ toJSON() { return undefined; } })),
      bad('proxy get throws', () => new Proxy({ a: 1 }, { get() { throw new Error('trap'); } })),
      bad('proxy ownKeys throws', () => new Proxy({ a: 1 }, { ownKeys() { throw new RangeError('trap'); } })),
      bad('nested revoked proxy', () => ({ a: revokedProxy() })),
    ])();
    case 9: return r.pick([
      ok('Date', () => new Date(0)), ok('Uint8Array', () => new Uint8Array([1, 2])), ok('Map', () => new Map([[1, 2]])), ok('class instance', () => new Thing()),
      ok('null-proto object', () => Object.assign(Object.create(null), { k: 'v' })), ok('with function and symbol values', () => ({ f() {}, s: Symbol('s'), n: 1 })),
      ok('transparent proxy', () => new Proxy({ a: [1, 2] }, {})), ok('Number object', () => new Number(3)), ok('sparse array', () => [1, , 3]),
    ])();
    case 10: return ok('defineProperty __proto__', () => Object.defineProperty({}, '__proto__', { value: { polluted: true }, enumerable: true }))();
    default: return r.chance(0.5) ? ['absent', undefined, 'null', true] : ok('object', () => ({ n: r.int(0, 1e6), s: oddString(r, 8) }))();
  }
}

function cyclic() {
  const o = { list: [] };
  o.list.push(o);
  return o;
}

/** [label, value, ok, stored] for one field; `stored` is what the record must hold. */
export function fieldValue(r, field, ctx) {
  if (field === 'payload') {
    const [label, value, json, ok] = payloadValue(r, ctx.big);
    return [label, value, ok, json];
  }
  const [label, value] = field === 'id' ? idValue(r, ctx) : field === 'type' ? typeValue(r) : field === 'lane' ? laneValue(r) : intValue(r, field);
  return [label, value, VALID[field](value), value];
}
