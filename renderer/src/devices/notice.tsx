/** Taking a device's backup from a page, reported as a notice; the notice pieces themselves live in ui/Notice.tsx. */
import { call } from '../api/client';
import { errorNotice, jobStartedNotice, type Notice } from '../ui/Notice';
import type { Device } from './labels';

// Re-exported for the pages that import them from here (protection/ until it adopts ui/).
export { HintBar, NoticeBar, jobStartedNotice, type Notice } from '../ui/Notice';

/** Starts `devices.backup` for a device and reports it. */
export async function takeBackupNow(device: Device, setNotice: (n: Notice) => void): Promise<void> {
  const r = await call('devices.backup', { name: device.name });
  setNotice(r.ok ? jobStartedNotice(r.value) : errorNotice(r.error));
}
