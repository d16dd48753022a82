import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyFileMetadataSync, applyMetadata } from '../../main/engine/repo/restore-files';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-metadata-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('restored times', () => {
  it('come back to the microsecond, never in the millisecond before, through a path or a descriptor', async () => {
    const file = path.join(tmp, 'f');
    fs.writeFileSync(file, 'x');
    const fd = fs.openSync(file, 'r+');
    try {
      // Times a microsecond past a millisecond, over a spread of seconds (each double rounds its own way).
      for (let k = 0; k < 500; k++) {
        const mtimeMs = 1_796_019_318_000 + k * 1_037 + 0.001;
        const entry = { path: 'f', type: 'file' as const, mode: 0o640, mtimeMs, size: 1 };
        applyFileMetadataSync(file, entry, k % 2 ? fd : undefined);
        const got = fs.statSync(file, { bigint: true }).mtimeNs;
        expect(got, `k=${k}`).toBe(BigInt(Math.round(mtimeMs * 1000)) * 1000n);
      }
      const entry = { path: 'f', type: 'file' as const, mode: 0o600, mtimeMs: 1_796_019_318_073.001, size: 1 };
      await applyMetadata(file, entry);
      expect(fs.statSync(file, { bigint: true }).mtimeNs).toBe(1_796_019_318_073_001_000n);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      fs.closeSync(fd);
    }
  });
});
