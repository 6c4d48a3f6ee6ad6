import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readJson, writeJsonAtomic } from '../../src/lib/state-file.js';

let root: string;
beforeAll(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-state-file-')); });
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }); });

describe('source state files (token cache, request budget)', () => {
  it('are owner-only (0600, directory 0700) whatever the umask, replaced whole, no temp file left', async () => {
    const file = path.join(root, 'new-dir', 'dsz.token.json');
    const umask = process.umask(0o000);
    try {
      await writeJsonAtomic(file, { token: 'a' });
      await writeJsonAtomic(file, { token: 'b' });
    } finally {
      process.umask(umask);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(await readJson(file)).toEqual({ value: { token: 'b' } });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['dsz.token.json']);
  });

  it('are flushed to disk before they replace the old file (a budget entry survives a power cut)', async () => {
    const file = path.join(root, 'dsz.budget.json');
    const events: string[] = [];
    const realFsync = fs.fsync;
    const realRename = fs.rename;
    const fsync = jest.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: fs.NoParamCallback) => {
      events.push('fsync');
      realFsync(fd, cb);
    }) as typeof fs.fsync);
    const rename = jest.spyOn(fs, 'rename').mockImplementation(((from: fs.PathLike, to: fs.PathLike, cb: fs.NoParamCallback) => {
      events.push('rename');
      realRename(from, to, cb);
    }) as typeof fs.rename);
    try {
      await writeJsonAtomic(file, { version: 1, requests: [1] });
    } finally {
      fsync.mockRestore();
      rename.mockRestore();
    }
    expect(events).toEqual(['fsync', 'rename']);
    expect(await readJson(file)).toEqual({ value: { version: 1, requests: [1] } });
  });

  it('read as undefined when absent and as corrupt when not JSON', async () => {
    expect(await readJson(path.join(root, 'absent.json'))).toBeUndefined();
    fs.writeFileSync(path.join(root, 'broken.json'), '{"tok');
    expect(await readJson(path.join(root, 'broken.json'))).toEqual({ corrupt: true });
  });
});
