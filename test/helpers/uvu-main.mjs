// Runs the uvu suites of one directory in one process and accounts for every test.
//   node test/helpers/uvu-main.mjs <dir> <file pattern> [results.json]
//
// uvu's own runner can pass a run that ran nothing: an error thrown in a suite's `before`
// hook is swallowed (the suite reports "passed" with none of its tests run), and a file that
// throws while loading stops the whole run without a summary. This runner uses uvu's parser
// and per-suite runner, but keeps its own books: a suite fails when it runs fewer tests than
// it declares, when a hook throws, or when it is declared but never run; a file fails when it
// cannot be loaded. The last line is `N passed, N failed` (`, N skipped` when any were).
import { register } from 'node:module';
import { writeFileSync } from 'node:fs';
import { parse } from 'uvu/parse';

const [dir, pattern, resultsFile] = process.argv.slice(2);

// Test files must see the accounting wrapper when they import 'uvu'; set before any import of it.
register('./uvu-hooks.mjs', import.meta.url);
globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE ??= [];

const ctx = await parse(dir, pattern, { ignore: /helpers|fixtures/ });
if (ctx.suites.length === 0) {
  console.error(`no test files match ${pattern} in ${dir}/`);
  process.exit(1);
}

const { ledgers } = await import('./uvu-accounting.mjs');
const problems = [];
let passed = 0;
let failed = 0;
let skipped = 0;

for (const [index, file] of ctx.suites.entries()) {
  globalThis.UVU_INDEX = index;
  globalThis.UVU_QUEUE.push([file.name]);
  globalThis.__TASKLANE_TEST_FILE__ = file.name;
  try {
    await import(`file://${file.file}`);
  } catch (error) {
    failed += 1;
    problems.push(`${file.name}: the file threw while loading: ${describe(error)}`);
  }
}

let firstGroup = true;
for (const group of globalThis.UVU_QUEUE) {
  const fileName = group.shift();
  if (!firstGroup) process.stdout.write('\n');
  firstGroup = false;
  if (fileName != null) process.stdout.write(`${fileName}\n`);
  for (const runSuite of group) {
    try {
      const [errors, ran, skips, total] = await runSuite();
      passed += ran;
      skipped += skips;
      failed += total - ran;
      if (errors !== true) process.stdout.write(`\n${errors}\n`);
      else if (ran < total) problems.push(`a suite in ${fileName} ran ${ran} of its ${total} tests`);
    } catch (error) {
      // uvu's runner only rethrows what an `after` hook threw; its tests have been counted
      // as they ran, so the broken tear-down counts as one failure.
      failed += 1;
      problems.push(`a suite in ${fileName} failed in its tear-down: ${describe(error)}`);
    }
  }
}

for (const ledger of ledgers) {
  const where = `suite "${ledger.name}" (${ledger.file})`;
  for (const { hook, error } of ledger.hookErrors) problems.push(`${where}: its ${hook} hook threw: ${describe(error)}`);
  if (!ledger.queued && ledger.declared > 0) {
    failed += ledger.declared;
    problems.push(`${where}: declares ${ledger.declared} tests but never called run()`);
  }
}

if (problems.length > 0) {
  process.stdout.write(`\n${problems.length} problem(s) outside the tests' own assertions:\n`);
  for (const problem of problems) process.stdout.write(`  - ${problem}\n`);
  // A hook failure with every test otherwise accounted for must still fail the run.
  if (failed === 0) failed = problems.length;
}

const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
if (resultsFile) writeFileSync(resultsFile, JSON.stringify({ passed, failed, skipped, summary }));
else process.stdout.write(`\n${summary}\n`);
// Exit without waiting for the event loop: one failed test that leaks a connection would
// otherwise hang the run. Give piped output a moment to flush first.
setTimeout(() => process.exit(failed > 0 ? 1 : 0), 200);

function describe(error) {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
