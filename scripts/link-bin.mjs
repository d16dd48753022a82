// Links the package's own `lifeboat` bin into node_modules/.bin, so `npx lifeboat …` works in a fresh clone
// (npm links the bins of dependencies there, but never the root package's own).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(root, 'node_modules', '.bin');
fs.mkdirSync(binDir, { recursive: true });
const target = path.join(root, 'bin', 'lifeboat.cjs');
const link = path.join(binDir, process.platform === 'win32' ? 'lifeboat.cmd' : 'lifeboat');
fs.rmSync(link, { force: true });
if (process.platform === 'win32') fs.writeFileSync(link, `@node "${target}" %*\r\n`);
else fs.symlinkSync(path.relative(binDir, target), link);
