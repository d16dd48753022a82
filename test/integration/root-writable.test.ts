/**
 * A data root Lifeboat may not write to is named for what it is on the device wizard's first step: the local agent
 * reports the refusal (EACCES here) for the folder itself and for the folder a missing root would be made in, run as
 * an unprivileged user (nobody, when the tests run as root).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFrom, unprivileged } from '../helpers/as-nobody';

describe('a data root without write permission', () => {
  it('is reported as refused (EACCES), existing or still to be created, and an ordinary folder is not', () => {
    const user = unprivileged('lifeboat-root-ro-');
    try {
      const ro = path.join(user.dir, 'ro');
      fs.mkdirSync(ro);
      fs.chmodSync(ro, 0o555);
      const open = path.join(user.dir, 'open');
      fs.mkdirSync(open);
      fs.chmodSync(open, 0o777);
      const r = user.run(
        importFrom('LocalDeviceAgent', 'main/engine/devices/agent') +
          'const agent = new LocalDeviceAgent();\n' +
          'Promise.all(process.argv.slice(2).map((p) => agent.inspectRoot(p))).then((s) => console.log(JSON.stringify(s.map((x) => [x.exists, x.writeRefusal]))));\n',
        [ro, path.join(ro, 'fs1'), open, path.join(open, 'fs1')],
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        [true, 'EACCES'],
        [false, 'EACCES'],
        [true, null],
        [false, null],
      ]);
    } finally {
      user.done();
    }
  });
});
