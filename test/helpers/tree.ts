/** Everything a restore must reproduce, per entry under root: content hash, mode, mtime, link targets. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)}`;
        walk(full);
      } else
        out[rel] =
          `file ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
    }
  };
  walk(root);
  return out;
}
