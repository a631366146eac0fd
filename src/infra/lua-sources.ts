import { existsSync, readFileSync } from 'node:fs';

/**
 * Which server a script is assembled for. `server`: a real Redis. `mock`: ioredis-mock, whose
 * Lua runs on fengari in this process and needs the workarounds of `includes/base.mock.lua`.
 */
export type ScriptTarget = 'server' | 'mock';

const LUA_DIR = new URL('./lua/', import.meta.url);
/** The header line naming the includes a script or include needs, e.g. `-- includes: base, dead`. */
const INCLUDES_LINE = /^-- includes:(.*)$/m;

interface Include {
  readonly needs: readonly string[];
  /** The include's text, then its `<name>.<target>.lua` part when it has one. */
  readonly text: Record<ScriptTarget, string>;
}

/** Includes read so far, per Lua directory. */
const cache = new Map<string, Map<string, Include>>();

/**
 * The Lua sent to Redis for `lua/<file>.lua`: the includes it names in its header, their own
 * includes first (each once), then the script. Throws on an unknown include or a cycle, so a
 * typo fails the first queue that loads the scripts rather than one call at run time.
 *
 * @example
 * assembleScript('claim', 'server') // base, waiting, batch, records, dead, then claim.lua
 */
export function assembleScript(file: string, target: ScriptTarget, luaDir: URL = LUA_DIR): string {
  const body = readFileSync(new URL(`${file}.lua`, luaDir), 'utf8');
  const includes = cache.get(luaDir.href) ?? new Map<string, Include>();
  cache.set(luaDir.href, includes);
  const order: string[] = [];
  const visiting: string[] = [];
  const visit = (name: string, from: string): void => {
    if (order.includes(name)) return;
    if (visiting.includes(name)) throw new Error(`Lua includes form a cycle: ${[...visiting, name].join(' → ')}`);
    visiting.push(name);
    for (const need of loadInclude(includes, new URL('includes/', luaDir), name, from).needs) visit(need, `includes/${name}.lua`);
    visiting.pop();
    order.push(name);
  };
  for (const name of includesOf(body, `${file}.lua`)) visit(name, `${file}.lua`);
  return [...order.map((name) => includes.get(name)!.text[target]), body].join('\n');
}

/** The includes named by a file's `-- includes:` line (required, possibly empty). */
function includesOf(text: string, file: string): string[] {
  const line = INCLUDES_LINE.exec(text);
  if (!line) throw new Error(`${file} has no \`-- includes:\` line in its header (write \`-- includes:\` when it needs none)`);
  return line[1]!.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
}

function loadInclude(includes: Map<string, Include>, includesDir: URL, name: string, from: string): Include {
  const known = includes.get(name);
  if (known) return known;
  const path = new URL(`${name}.lua`, includesDir);
  if (!/^[a-z]+$/.test(name) || !existsSync(path)) {
    throw new Error(`${from} names an unknown Lua include \`${name}\` (no includes/${name}.lua)`);
  }
  const text = readFileSync(path, 'utf8');
  const variant = (target: ScriptTarget): string => {
    const part = new URL(`${name}.${target}.lua`, includesDir);
    return existsSync(part) ? `${text}\n${readFileSync(part, 'utf8')}` : text;
  };
  const include = { needs: includesOf(text, `includes/${name}.lua`), text: { server: variant('server'), mock: variant('mock') } };
  includes.set(name, include);
  return include;
}
