// Tools some tests need beyond Node and redis-server. A missing one fails the test that needs
// it with a message saying what to install; it never turns into a silent skip.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Where the dashboard tests find Chromium (Debian's package; no browser is ever downloaded). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Throws "<tool> is not installed: <install>" unless `command` runs.
 * @param {string} command a program on PATH
 * @param {string[]} versionArgs arguments that make it print its version and exit 0
 * @param {string} install how to install it
 * @example
 * requireCommand('openssl', ['version'], 'apt-get install openssl');
 */
export function requireCommand(command, versionArgs, install) {
  const probe = spawnSync(command, versionArgs, { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    throw new Error(`${command} is not installed, and this test needs it: ${install}`);
  }
}

/**
 * The path of Debian's Chromium, or an error saying how to install it.
 * @example
 * const browser = await chromium.launch({ executablePath: requireChromium(), headless: true });
 */
export function requireChromium() {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`Chromium is not installed at ${CHROMIUM}, and the dashboard tests need it: apt-get install chromium`);
  }
  return CHROMIUM;
}
