// tsc copies only what it compiles. The Lua scripts are read at run time from dist/, and the
// dashboard is served from dist/ as the plain files it is: the browser loads them unbundled.
import { cpSync, rmSync } from 'node:fs';

cpSync('src/infra/lua', 'dist/infra/lua', { recursive: true });
// Cleared first, so a file deleted from src/ is not served from a stale dist/.
rmSync('dist/runtime/http/dashboard', { recursive: true, force: true });
cpSync('src/runtime/http/dashboard', 'dist/runtime/http/dashboard', { recursive: true });
