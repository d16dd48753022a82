/**
 * The layering lint rule (eslint.config.mjs, LAYERS): each layer imports only the layers it names, and says
 * "bad layering" otherwise; electron only in the host and the preload, Node only in the engine, server, CLI and host.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home';

const eslint = new ESLint({ cwd: ROOT });

/** The layering messages for `code` linted as if it were the file `file`. */
async function layering(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return result.messages.filter((m) => m.ruleId === 'lifeboat/layering').map((m) => m.message);
}

const importOf = (spec: string) => `import * as m from '${spec}';\nexport const a = m;\n`;

describe('layering lint rule', () => {
  it('rejects a wrong-layer import, naming both layers', async () => {
    const bad: [string, string, string][] = [
      ['main/shared/x.ts', '../engine/jobs/runner', 'shared may not import engine'],
      ['main/shared/x.ts', 'node:fs', 'shared may not import node'],
      ['main/engine/jobs/x.ts', '../../server/web', 'engine may not import server'],
      ['main/engine/x.ts', '../cli/main', 'engine may not import cli'],
      ['main/server/x.ts', '../host/main', 'server may not import host'],
      ['main/cli/x.ts', '../../renderer/src/App', 'cli may not import renderer'],
      ['renderer/src/pages/x.ts', '../../../main/engine/jobs/runner', 'renderer may not import engine'],
      ['renderer/src/x.ts', 'node:path', 'renderer may not import node'],
      ['renderer/src/x.ts', 'better-sqlite3', 'renderer may not import node'],
      ['preload/x.ts', '../main/engine/engine', 'preload may not import engine'],
    ];
    for (const [file, spec, says] of bad) {
      const messages = await layering(file, importOf(spec));
      expect(messages, `${file} importing ${spec}`).toHaveLength(1);
      expect(messages[0]).toContain(`bad layering: ${says}`);
    }
  });

  it('rejects re-exports, dynamic imports and type imports across layers too', async () => {
    const file = 'renderer/src/x.ts';
    expect(await layering(file, `export { Engine } from '../../main/engine/engine';\n`)).toHaveLength(1);
    expect(await layering(file, `export const load = () => import('../../main/server/web');\n`)).toHaveLength(1);
    expect(await layering(file, `export type E = import('../../main/engine/engine').Engine;\n`)).toHaveLength(1);
  });

  it('keeps electron in the host and the preload', async () => {
    const electron = `import { app } from 'electron';\nexport const a = app;\n`;
    for (const file of [
      'main/engine/jobs/x.ts',
      'main/server/x.ts',
      'main/cli/x.ts',
      'main/shared/x.ts',
      'renderer/src/x.ts',
    ]) {
      expect(await layering(file, electron), file).toEqual([expect.stringContaining('may not import electron')]);
    }
    for (const file of ['main/host/x.ts', 'preload/x.ts']) expect(await layering(file, electron), file).toEqual([]);
  });

  it('allows what each layer names: its own files, the layers below it and packages', async () => {
    const good: [string, string][] = [
      ['main/shared/x.ts', './errors'],
      ['main/shared/x.ts', 'zod'],
      ['main/engine/jobs/x.ts', '../../shared/contract'],
      ['main/engine/jobs/x.ts', 'node:fs'],
      ['main/server/x.ts', '../engine/engine'],
      ['main/cli/x.ts', '../shared/language/run'],
      ['main/host/x.ts', '../server/runtime'],
      ['preload/x.ts', '../main/shared/wire'],
      ['renderer/src/x.ts', '../../main/shared/schemas'],
      ['renderer/src/x.ts', 'react'],
      ['test/x.ts', '../main/engine/engine'],
    ];
    for (const [file, spec] of good)
      expect(await layering(file, importOf(spec)), `${file} importing ${spec}`).toEqual([]);
  });
});
