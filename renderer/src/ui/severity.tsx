/** Alert severity as an icon and a badge, with the same colours everywhere. */
import { Badge, tokens } from '@fluentui/react-components';
import { ErrorCircleRegular, InfoRegular, WarningRegular } from '@fluentui/react-icons';
import type { Alert } from '../api/types';

const look = {
  critical: { color: 'danger', label: 'Critical', Icon: ErrorCircleRegular },
  warning: { color: 'warning', label: 'Warning', Icon: WarningRegular },
  info: { color: 'informative', label: 'Information', Icon: InfoRegular },
} as const;

export function SeverityIcon({ severity }: { severity: Alert['severity'] }) {
  const { Icon, label } = look[severity];
  const color =
    severity === 'critical'
      ? tokens.colorPaletteRedForeground1
      : severity === 'warning'
        ? tokens.colorPaletteDarkOrangeForeground1
        : tokens.colorBrandForeground1;
  return <Icon aria-label={label} role="img" style={{ color, fontSize: 20 }} />;
}

export function SeverityBadge({ severity }: { severity: Alert['severity'] }) {
  const { color, label, Icon } = look[severity];
  return (
    <Badge appearance="tint" color={color} icon={<Icon />}>
      {label}
    </Badge>
  );
}

export const severityOrder: Alert['severity'][] = ['critical', 'warning', 'info'];
