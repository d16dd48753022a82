/**
 * Where a restore asked for by a user (`backup restore`) may write on a device: only into an existing share or volume
 * that is online, on an online device that nothing holds or deactivates. A failover's restore jobs do not come this
 * way (they are created by the failover job itself, into the target it holds). Paths are compared by their real
 * paths, so a link to a share is the share. Even there it replaces what hosts use, so it needs overwrite, empty
 * share or not: the refusal names the device and the share.
 */
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { realPath, within as inside } from '../placement';
import { deviceDataHint, deviceDataMessage } from '../../shared/device-data';
import type { DeviceManager } from './manager';

/** `sources` are the names the restore writes as `to/<name>`. */
export function checkRestoreTarget(m: DeviceManager, to: string, sources: string[], overwrite: boolean): void {
  const dest = realPath(to);
  for (const d of m.store.list()) {
    if (d.site_id) continue; // its root is a path on the agent host: a restore here never writes there
    const root = realPath(d.root);
    if (!inside(dest, root) && !inside(root, dest)) continue;
    const elsewhere = `Restore into a share folder of ${d.name} (\`lifeboat device show ${d.name}\` lists their paths) or into a folder outside its data root.`;
    for (const written of sources.map((s) => path.join(dest, s))) {
      if (inside(root, written))
        throw new LifeboatError(
          'not_allowed',
          `to: restoring to ${to} would write over the data root of the device ${d.name} (${d.root}).`,
          elsewhere,
        );
      if (!inside(written, root)) continue;
      const [folder, name] = path.relative(root, written).split(path.sep);
      const kind = folder === 'shares' ? 'share' : folder === 'volumes' ? 'volume' : null;
      if (!kind || !name)
        throw new LifeboatError(
          'not_allowed',
          `to: ${to} is in the data root of the device ${d.name} but outside its shares and volumes.`,
          elsewhere,
        );
      const item = kind === 'share' ? m.store.share(d.id, name) : m.store.volume(d.id, name);
      if (!item)
        throw new LifeboatError(
          'not_allowed',
          `to: ${path.join(d.root, folder, name)} is not a ${kind} of the device ${d.name}, and a restore does not create one.`,
          `Create the ${kind} first (\`lifeboat ${kind} create ${d.name} ${name}\`), or restore elsewhere.`,
        );
      m.writableRow(d);
      m.assertItemWritable(d, kind, item.name);
      const data = { kind, name: item.name, device: d.name } as const;
      if (!overwrite) throw new LifeboatError('conflict', deviceDataMessage(to, data, d.status), deviceDataHint(data));
    }
  }
}
