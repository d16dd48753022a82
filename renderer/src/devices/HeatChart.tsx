/**
 * The heat map of a device's newest backup, drawn with @fluentui/react-charts: a stacked bar per share or volume of
 * its hot, warm and cold bytes (hot data is restored first in a failover). The legend names the bands, each segment's
 * tooltip and accessible name give its bytes, and screen readers also get the numbers as a list, so colour is never
 * the only cue.
 */
import { VerticalStackedBarChart, type VerticalStackedChartProps } from '@fluentui/react-charts';
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { formatBytes, formatTime } from '../format';
import { useSectionStyles } from '../ui/Page';
import type { HeatMap } from './labels';

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
  hottest: {
    margin: 0,
    paddingLeft: tokens.spacingHorizontalXL,
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
  },
});

const BANDS = [
  { key: 'hotBytes', legend: 'Hot', color: tokens.colorPaletteRedBackground3 },
  { key: 'warmBytes', legend: 'Warm', color: tokens.colorPaletteMarigoldBackground3 },
  { key: 'coldBytes', legend: 'Cold', color: tokens.colorPaletteBlueBorderActive },
] as const;

export function HeatChart({ heat }: { heat: HeatMap }) {
  const styles = useStyles();
  const section = useSectionStyles();
  if (!heat.backupId || heat.items.length === 0)
    return (
      <Text className={styles.caption} data-testid="heat-chart-empty">
        No heat map yet: it is recorded with each backup. Take a backup to see which data is hot.
      </Text>
    );
  const data: VerticalStackedChartProps[] = heat.items.map((item) => ({
    xAxisPoint: item.name,
    chartData: BANDS.map((b) => ({
      legend: b.legend,
      data: item[b.key],
      color: b.color,
      yAxisCalloutData: formatBytes(item[b.key]),
      callOutAccessibilityData: { ariaLabel: `${item.name}, ${b.legend.toLowerCase()}: ${formatBytes(item[b.key])}` },
    })),
  }));
  return (
    <figure className={styles.figure} data-testid="heat-chart">
      {/* The chart fills its container's height (the bars, the axis and the legend). */}
      <div style={{ height: 300 }}>
        <VerticalStackedBarChart
          chartTitle="Hot, warm and cold data per share or volume"
          data={data}
          barWidth={Math.max(16, Math.min(48, Math.floor(480 / heat.items.length)))}
          maxBarWidth={48}
          yAxisTickCount={4}
          yAxisTickFormat={(v: number) => formatBytes(v)}
          margins={{ left: 72 }}
          showXAxisLablesTooltip
          noOfCharsToTruncate={18}
        />
      </div>
      <ul className={section.srOnly} aria-label="Heat per share or volume">
        {heat.items.map((i) => (
          <li key={i.name}>
            {i.name}: hot {formatBytes(i.hotBytes)}, warm {formatBytes(i.warmBytes)}, cold {formatBytes(i.coldBytes)}
          </li>
        ))}
      </ul>
      {heat.items.some((i) => i.hottest.length > 0) && (
        <details>
          <summary>Hottest files and block ranges (restored first)</summary>
          {heat.items
            .filter((i) => i.hottest.length > 0)
            .map((i) => (
              <div key={i.name}>
                <Text weight="semibold">{i.name}</Text>
                <ol className={styles.hottest}>
                  {i.hottest.slice(0, 5).map((h) => (
                    <li key={h.path}>
                      {h.path} ({Math.round(h.heat * 100)}%)
                    </li>
                  ))}
                </ol>
              </div>
            ))}
        </details>
      )}
      <Text as="span" size={200} className={styles.caption}>
        From the backup of {formatTime(heat.at)}. A failover restores hot data first, so what is used most is local
        first.
      </Text>
    </figure>
  );
}
