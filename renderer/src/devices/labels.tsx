/** How devices, their status, type and health read in the UI (the words of StorSimple's portal). */
import { Badge } from '@fluentui/react-components';
import type { Device, DeviceStatus, DeviceType, Tier } from '../../../main/shared/device-schemas';

export type {
  Device,
  DeviceDetail,
  DnsChecklist,
  FailoverPlan,
  FailoverTargets,
  HeatMap,
  RootCheck,
  Share,
  Volume,
} from '../../../main/shared/device-schemas';

export const STATUS_LABEL: Record<DeviceStatus, string> = {
  'ready-to-set-up': 'Ready to set up',
  online: 'Online',
  offline: 'Offline',
  deactivated: 'Deactivated',
  deleted: 'Deleted',
};

const STATUS_COLOR: Record<DeviceStatus, 'success' | 'informative' | 'warning' | 'danger' | 'subtle'> = {
  'ready-to-set-up': 'informative',
  online: 'success',
  offline: 'warning',
  deactivated: 'danger',
  deleted: 'subtle',
};

export function DeviceStatusBadge({ status }: { status: DeviceStatus }) {
  return (
    <Badge appearance="tint" color={STATUS_COLOR[status]} data-status={status}>
      {STATUS_LABEL[status]}
    </Badge>
  );
}

export const TYPE_LABEL: Record<DeviceType, string> = { file: 'File server', iscsi: 'iSCSI server' };
export const TIER_LABEL: Record<Tier, string> = { tiered: 'Tiered', 'locally-pinned': 'Locally pinned' };
export const HEALTH_LABEL: Record<Device['health'], string> = {
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
};
export const BACKUP_KIND_LABEL = {
  scheduled: 'Scheduled',
  manual: 'Manual',
  final: 'Final (at deactivation)',
} as const;
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The health, and when given, why it is not healthy ("Warning: never backed up"). */
export function HealthBadge({ health, reasons }: { health: Device['health']; reasons?: string[] }) {
  const color = health === 'healthy' ? 'success' : health === 'warning' ? 'warning' : 'danger';
  return (
    <span data-health={health}>
      <Badge appearance="outline" color={color}>
        {HEALTH_LABEL[health]}
      </Badge>
      {reasons?.length ? <span data-testid="health-reasons">{` ${reasons.join('; ')}`}</span> : null}
    </span>
  );
}

/** Where the device dashboard lives: `#/devices/NAME`, so reloads and Back keep it. */
export const deviceHref = (name: string) => `#/devices/${encodeURIComponent(name)}`;

export function selectedDeviceFromHash(hash: string): string | null {
  const m = /^#\/?devices\/([^/?]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]) : null;
}

export function policyText(p: Device['policy']): string {
  if (p.frequency === 'off') return 'no scheduled backups';
  const when = p.frequency === 'weekly' ? `every ${WEEKDAYS[p.weekday ?? 0]} at ${p.time}` : `daily at ${p.time}`;
  return `${when}, keeping ${p.retention}`;
}
