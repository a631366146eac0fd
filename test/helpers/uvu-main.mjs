// Runs the uvu suites in one process, like uvu's own CLI, then exits. The CLI waits for the
// event loop to drain, so one failed test that leaks a connection would hang the whole run.
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const [dir, pattern] = process.argv.slice(2);
const ctx = await parse(dir, pattern, { ignore: /helpers|fixtures/ });
if (ctx.suites.length === 0) {
  console.error(`no test files match ${pattern} in ${dir}/`);
  process.exit(1);
}
await run(ctx.suites, {});
// uvu sets process.exitCode on failure; give piped output a moment to flush.
setTimeout(() => process.exit(), 200);
