// Module resolution hook for `npm test`: a test file's `import 'uvu'` loads the accounting
// wrapper instead, while uvu's own modules (and the wrapper itself) still get the real uvu.
const WRAPPER = new URL('./uvu-accounting.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? '';
  if (specifier === 'uvu' && parent !== WRAPPER && !parent.includes('/node_modules/uvu/')) {
    return { url: WRAPPER, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
