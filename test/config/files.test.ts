import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMissing, nodeFiles, statIfExists } from '../../src/config/files';

describe('nodeFiles.stat', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsp-files-'));
    fs.writeFileSync(path.join(dir, 'pgpass'), 'x', { mode: 0o600 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves with the mode and kind of an existing file', async () => {
    const st = await nodeFiles.stat(path.join(dir, 'pgpass'));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await nodeFiles.stat(dir)).isFile()).toBe(false);
  });

  it('rejects with ENOENT for a missing file, which statIfExists turns into undefined', async () => {
    const missing = path.join(dir, 'nope');
    await expect(nodeFiles.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(isMissing(await nodeFiles.stat(missing).catch((e: unknown) => e))).toBe(true);
    await expect(statIfExists(nodeFiles, missing)).resolves.toBeUndefined();
    await expect(statIfExists(nodeFiles, path.join(dir, 'pgpass', 'below-a-file'))).resolves.toBeUndefined();
  });
});
