// What test files get when they import 'uvu' under `npm test` (uvu-hooks.mjs redirects the
// specifier here). It is uvu's own `suite`, plus a ledger per suite: how many tests it
// declares, whether it was queued to run, and any error its before/after hooks threw. uvu's
// runner returns from a `finally` block, so an error in a `before` hook vanishes and the suite
// reports "passed" with none of its tests run; the ledger is how uvu-main.mjs notices.
import * as uvu from 'uvu';

/** @typedef {{ name: string, file: string, declared: number, queued: boolean, hookErrors: Array<{ hook: string, error: unknown }> }} SuiteLedger */

/** @type {SuiteLedger[]} */
export const ledgers = (globalThis.__TASKLANE_SUITE_LEDGERS__ ??= []);

const HOOKS = [
  ['before', (t) => t.before],
  ['before.each', (t) => t.before.each],
  ['after', (t) => t.after],
  ['after.each', (t) => t.after.each],
];

/**
 * uvu's `suite()`, with its declarations and hook failures recorded in `ledgers`.
 * @param {string} [name]
 * @param {object} [state]
 * @example
 * const test = suite('TaskQueue enqueue');
 */
export function suite(name = '', state = {}) {
  const inner = uvu.suite(name, state);
  /** @type {SuiteLedger} */
  const ledger = { name, file: globalThis.__TASKLANE_TEST_FILE__ ?? '?', declared: 0, queued: false, hookErrors: [] };
  ledgers.push(ledger);

  const test = (title, handler) => {
    ledger.declared += 1;
    inner(title, handler);
  };
  test.only = (title, handler) => {
    ledger.declared += 1;
    inner.only(title, handler);
  };
  test.skip = (...args) => inner.skip(...args);
  for (const [hook, pick] of HOOKS) {
    const register = pick(inner);
    const wrapped = (fn) =>
      register(async (ctx) => {
        try {
          await fn(ctx);
        } catch (error) {
          ledger.hookErrors.push({ hook, error });
          throw error;
        }
      });
    if (hook === 'before') test.before = wrapped;
    else if (hook === 'after') test.after = wrapped;
    else if (hook === 'before.each') test.before.each = wrapped;
    else test.after.each = wrapped;
  }
  test.run = () => {
    ledger.queued = true;
    inner.run();
  };
  return test;
}

export const test = suite();
export const exec = uvu.exec;
