/**
 * One device's part of the sweep at start (items.ts): a delete that renamed an item into the trash but did not delete
 * its row is undone, other trash is emptied, and an item whose row was written but whose folder or image was not gets it.
 */
import type { DeviceAgent } from './agent';
import type { DeviceRow } from './store';

export interface SweepPlan {
  device: DeviceRow;
  shares: Array<{ id: string; path: string; size: number }>;
  volumes: Array<{ id: string; path: string; size: number }>;
}

export async function sweepDevice(agent: DeviceAgent, { device, shares, volumes }: SweepPlan): Promise<void> {
  if (!(await agent.inspectRoot(device.root)).marker) return; // a missing or foreign root is not recreated
  const items = new Map([...shares, ...volumes].map((i) => [i.id, i]));
  for (const id of await agent.trashed(device.root)) {
    const item = items.get(id);
    if (!(item && (await agent.untrash(item.path, id)))) await agent.emptyTrash(device.root, id);
  }
  if (device.status === 'deactivated') return;
  for (const s of shares) if (!(await agent.exists(s.path))) await agent.createShare(s.path);
  for (const v of volumes) if (!(await agent.exists(v.path))) await agent.createVolume(v.path, v.size);
}
