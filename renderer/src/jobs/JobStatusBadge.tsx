/** A job's or step's status as a coloured badge with an icon, so it never relies on colour alone. */
import { Badge, Spinner } from '@fluentui/react-components';
import {
  CheckmarkCircleRegular,
  CircleRegular,
  DismissCircleRegular,
  ErrorCircleRegular,
  PauseCircleRegular,
  SubtractCircleRegular,
} from '@fluentui/react-icons';
import type { Job, JobStep } from '../api/types';

type Status = Job['status'] | JobStep['status'];

const look: Record<
  Status,
  { color: 'brand' | 'success' | 'danger' | 'warning' | 'informative' | 'subtle'; label: string }
> = {
  queued: { color: 'informative', label: 'Queued' },
  pending: { color: 'subtle', label: 'Pending' },
  running: { color: 'brand', label: 'Running' },
  succeeded: { color: 'success', label: 'Succeeded' },
  failed: { color: 'danger', label: 'Failed' },
  cancelled: { color: 'subtle', label: 'Cancelled' },
  paused: { color: 'warning', label: 'Paused' },
  skipped: { color: 'subtle', label: 'Skipped' },
};

const icon = (status: Status) => {
  switch (status) {
    case 'running':
      return <Spinner size="extra-tiny" appearance="inverted" />;
    case 'succeeded':
      return <CheckmarkCircleRegular />;
    case 'failed':
      return <ErrorCircleRegular />;
    case 'cancelled':
      return <DismissCircleRegular />;
    case 'paused':
      return <PauseCircleRegular />;
    case 'skipped':
      return <SubtractCircleRegular />;
    default:
      return <CircleRegular />;
  }
};

export function JobStatusBadge({ status }: { status: Status }) {
  const { color, label } = look[status];
  return (
    <Badge appearance={status === 'running' ? 'filled' : 'tint'} color={color} icon={icon(status)} data-status={status}>
      {label}
    </Badge>
  );
}
