// tsc does not copy non-TypeScript files; the Lua scripts are read at run time from dist/.
import { cpSync } from 'node:fs';
cpSync('src/infra/lua', 'dist/infra/lua', { recursive: true });
