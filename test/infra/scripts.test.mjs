// The Lua sources: each script carries only the includes its header names (and theirs), in
// an order where every helper is defined before it is used; a helper a script uses but does
// not include, or an unknown include, fails here rather than at run time on one code path.
// A real server gets no mock workarounds.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleScript } from '../../dist/infra/lua-sources.js';
import { SCRIPTS, scriptSource } from '../../dist/infra/scripts.js';

const INCLUDES = new URL('../../src/infra/lua/includes/', import.meta.url);

/** Helper name → include file defining it (`local function x` or `local X =` at the top level). */
function helperDefinitions() {
  const defined = new Map();
  for (const file of readdirSync(INCLUDES)) {
    for (const [, name] of readFileSync(new URL(file, INCLUDES), 'utf8').matchAll(/^local (?:function )?([A-Za-z_]\w*)/gm)) defined.set(name, file);
  }
  return defined;
}

/** The Lua of `text` without comments, so a helper named in a header does not count as used. */
function code(text) {
  return text.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--[^\n]*/g, '');
}

const test = suite('Lua script sources');

test('every script defines each helper it uses before using it, for both targets', () => {
  const helpers = helperDefinitions();
  assert.ok(helpers.has('nowMs') && helpers.has('deadLetter'), 'no helper found: the includes moved?');
  for (const name of Object.keys(SCRIPTS)) {
    for (const target of ['server', 'mock']) {
      const source = code(scriptSource(name, target));
      for (const [helper, file] of helpers) {
        const uses = [...source.matchAll(new RegExp(`\\b${helper}\\b`, 'g'))].map((m) => m.index);
        if (uses.length === 0) continue;
        const definition = source.search(new RegExp(`^local (function )?${helper}\\b`, 'm'));
        assert.ok(definition >= 0, `${name} (${target}) uses ${helper} but does not include ${file}`);
        assert.ok(uses[0] >= definition, `${name} (${target}) uses ${helper} before it is defined`);
        assert.is(source.match(new RegExp(`^local (function )?${helper}\\b`, 'gm')).length, 1, `${name} (${target}) defines ${helper} twice`);
      }
    }
  }
});

test('a script carries only what it needs: forget no helper, fail no cursor or batching', () => {
  assert.not.match(scriptSource('forget'), /local function/);
  assert.not.match(scriptSource('fail'), /rankAfter|zaddMany|reapCompleted/);
  assert.match(scriptSource('fail'), /local function deadLetter/);
  assert.ok(scriptSource('claim').length < scriptSource('claim', 'mock').length, 'the server variant is the shorter one');
});

test('a real server gets no mock workarounds: reply is the identity, HMGET is called directly, TIME is the clock', () => {
  const server = scriptSource('claim', 'server');
  assert.match(server, /local function reply\(t\)\n {2}return t\nend/);
  assert.match(server, /local function hmget\(key, \.\.\.\)\n {2}return redis\.call\('HMGET', key, \.\.\.\)\nend/);
  assert.not.match(server, /hostClock|ARGV\[#ARGV\]/);
  const mock = scriptSource('claim', 'mock');
  assert.match(mock, /for i = #t, 1, -1 do r\[i\] = t\[i\] end/);
  assert.match(mock, /local hostClock = ARGV\[#ARGV\]/);
});

test('an unknown include, a missing includes line and a cycle fail loudly, naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasklane-lua-'));
  try {
    mkdirSync(join(dir, 'includes'));
    writeFileSync(join(dir, 'typo.lua'), '--[[ typo ]]\n-- includes: base, daed\nreturn 1\n');
    writeFileSync(join(dir, 'bare.lua'), 'return 1\n');
    writeFileSync(join(dir, 'loop.lua'), '-- includes: a\nreturn 1\n');
    writeFileSync(join(dir, 'includes', 'base.lua'), '-- includes:\nlocal x = 1\n');
    writeFileSync(join(dir, 'includes', 'a.lua'), '-- includes: b\n');
    writeFileSync(join(dir, 'includes', 'b.lua'), '-- includes: a\n');
    const url = pathToFileURL(`${dir}/`);
    assert.throws(() => assembleScript('typo', 'server', url), /typo\.lua names an unknown Lua include `daed`/);
    assert.throws(() => assembleScript('bare', 'server', url), /bare\.lua has no `-- includes:` line/);
    assert.throws(() => assembleScript('loop', 'server', url), /cycle: a → b → a/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
