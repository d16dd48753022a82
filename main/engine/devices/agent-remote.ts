/**
 * A device agent whose data roots are on a site agent's host: each `DeviceAgent` operation is one `device` call over
 * the paired site's TLS connection (sites/agent-device.ts checks it there), so devices and replication share one
 * agent protocol. Paths are the agent host's, under its root's `devices/` folder.
 */
import type { DeviceOp, DeviceOpRequest } from '../sites/agent-device';
import type { DeviceAgent, DeviceMarker, RootState } from './agent';

export class RemoteDeviceAgent implements DeviceAgent {
  /** `call`: the site agent's `device` call (`RemoteSiteAgent.device`). */
  constructor(private readonly call: (req: DeviceOpRequest) => Promise<unknown>) {}

  private op<T>(op: DeviceOp, target: string, ...args: unknown[]): Promise<T> {
    return this.call({ op, path: target, args }) as Promise<T>;
  }

  inspectRoot(root: string): Promise<RootState> {
    return this.op('inspectRoot', root);
  }

  async prepareRoot(root: string, marker: DeviceMarker): Promise<void> {
    await this.op('prepareRoot', root, marker);
  }

  async createShare(dir: string): Promise<void> {
    await this.op('createShare', dir);
  }

  async createVolume(file: string, size: number): Promise<void> {
    await this.op('createVolume', file, size);
  }

  async setWritable(target: string, writable: boolean): Promise<void> {
    await this.op('setWritable', target, writable);
  }

  onlineModes(target: string): Promise<Record<string, number> | null> {
    return this.op('onlineModes', target);
  }

  async remove(target: string): Promise<void> {
    await this.op('remove', target);
  }

  async trash(target: string, id: string): Promise<void> {
    await this.op('trash', target, id);
  }

  untrash(target: string, id: string): Promise<boolean> {
    return this.op('untrash', target, id);
  }

  trashed(root: string): Promise<string[]> {
    return this.op('trashed', root);
  }

  async emptyTrash(root: string, id: string): Promise<void> {
    await this.op('emptyTrash', root, id);
  }

  usage(target: string): Promise<number> {
    return this.op('usage', target);
  }

  fileSize(target: string): Promise<number | null> {
    return this.op('fileSize', target);
  }

  freeBytes(target: string): Promise<number> {
    return this.op('freeBytes', target);
  }

  space(target: string): Promise<{ free: number; total: number }> {
    return this.op('space', target);
  }

  exists(target: string): Promise<boolean> {
    return this.op('exists', target);
  }
}
