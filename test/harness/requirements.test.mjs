// A test that needs a missing tool fails with what to install; it never skips.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireChromium, requireCommand } from '../helpers/requirements.mjs';

const test = suite('test requirements');

test('a missing command throws with how to install it', () => {
  assert.throws(
    () => requireCommand('tasklane-no-such-tool', ['--version'], 'apt-get install tasklane-no-such-tool'),
    (err) => err.message === 'tasklane-no-such-tool is not installed, and this test needs it: apt-get install tasklane-no-such-tool',
  );
});

test('a present command passes', () => {
  requireCommand(process.execPath, ['--version'], 'unused');
});

test('requireChromium names the package when Chromium is missing, else gives its path', () => {
  let path;
  try {
    path = requireChromium();
  } catch (err) {
    assert.match(err.message, /apt-get install chromium/);
    return;
  }
  assert.is(path, '/usr/bin/chromium');
});

test.run();
