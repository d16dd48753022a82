import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home';

describe('layering lint rules', () => {
  const eslint = new ESLint({ cwd: ROOT });
  it('fails when the engine, web mode or the CLI imports electron', async () => {
    for (const file of ['main/engine/jobs/x.ts', 'main/server/x.ts', 'main/cli/x.ts']) {
      const [result] = await eslint.lintText(`import { app } from 'electron';\nexport const a = app;\n`, { filePath: `${ROOT}/${file}` });
      expect(result.messages.map((m) => m.ruleId), file).toContain('no-restricted-imports');
    }
  });
  it('allows electron in the host and keeps node modules out of the renderer', async () => {
    const [host] = await eslint.lintText(`import { app } from 'electron';\nexport const a = app;\n`, { filePath: `${ROOT}/main/host/x.ts` });
    expect(host.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
    const [renderer] = await eslint.lintText(`import fs from 'node:fs';\nexport const a = fs;\n`, { filePath: `${ROOT}/renderer/src/x.ts` });
    expect(renderer.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });
});
