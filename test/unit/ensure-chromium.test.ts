/**
 * `node e2e/ensure.mjs chromium` (npm test's pretest): a no-op when the browser is there, so the
 * page tests never reinstall it; apt-get runs only when it is missing (not exercised here: it
 * would install a package).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ENSURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../e2e/ensure.mjs');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [ENSURE, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

describe('e2e/ensure.mjs chromium', () => {
  it('does nothing when the Chromium binary exists', () => {
    const result = run(['chromium'], { INVSYNC_CHROMIUM: process.execPath });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('names the known targets for an unknown one, exit 1', () => {
    const result = run(['chrome']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/unknown target "chrome" \(known: vendure, medusa, chromium\)/);
  });
});
