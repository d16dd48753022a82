/**
 * Protected data per storage account, drawn with @fluentui/react-charts (a horizontal bar per account, its kind as the
 * legend, bytes on the axis and in each bar's tooltip; the bars are focusable and named). Screen readers also get the
 * numbers as a list, so nothing relies on the picture.
 */
import { HorizontalBarChartWithAxis, type HorizontalBarChartWithAxisDataPoint } from '@fluentui/react-charts';
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import type { StorageAccount } from '../api/types';
import { formatBytes } from '../format';
import { useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  figure: {
    margin: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
    maxWidth: '760px',
    minWidth: 0,
  },
  caption: { color: tokens.colorNeutralForeground3 },
});

const KIND: Record<StorageAccount['kind'], { legend: string; color: string }> = {
  local: { legend: 'Local folder', color: tokens.colorBrandBackground },
  azure: { legend: 'Azure Blob', color: tokens.colorPaletteBlueBorderActive },
};

const ROW = 36;
/** Longer account names are cut on the axis (with a tooltip); the list below and each bar's tooltip name them whole. */
const NAME_CHARS = 22;

export function UsageChart({ accounts }: { accounts: StorageAccount[] }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const data: HorizontalBarChartWithAxisDataPoint[] = accounts.map((a) => ({
    y: a.name,
    x: a.bytes,
    ...KIND[a.kind],
    xAxisCalloutData: a.name,
    yAxisCalloutData: formatBytes(a.bytes),
    callOutAccessibilityData: { ariaLabel: `${a.name}: ${formatBytes(a.bytes)}` },
  }));
  return (
    <figure className={styles.figure} data-testid="usage-chart">
      {/* The chart fills its container's height: one row per account, the axis and the legend. */}
      <div style={{ height: accounts.length * ROW + 96 }}>
        <HorizontalBarChartWithAxis
          chartTitle="Protected data per storage account"
          data={data}
          barHeight={16}
          hideLabels
          showYAxisLablesTooltip
          noOfCharsToTruncate={NAME_CHARS}
          tickFormat={(v: number | Date) => formatBytes(Number(v))}
          xAxisTickCount={4}
          margins={{ left: 16 + 7 * Math.min(NAME_CHARS, Math.max(4, ...accounts.map((a) => a.name.length))) }}
        />
      </div>
      <ul className={section.srOnly} aria-label="Protected data per storage account">
        {accounts.map((a) => (
          <li key={a.id}>
            {a.name}: {formatBytes(a.bytes)} in {a.backups} backup{a.backups === 1 ? '' : 's'}
          </li>
        ))}
      </ul>
      <Text as="span" size={200} className={styles.caption}>
        Logical size of the newest backup of each set of sources, per account. Stored bytes are smaller after
        deduplication and compression.
      </Text>
    </figure>
  );
}
