/**
 * An item's RPO and throughput over the last 24 hours, from its cycle history (`items.history`), drawn with
 * @fluentui/react-charts. Nothing is drawn until the engine has two cycles to show.
 */
import { LineChart, type LineChartPoints } from '@fluentui/react-charts';
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { formatBytes } from '../format';
import { formatAge, type Cycle } from './labels';

const useStyles = makeStyles({
  charts: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  chart: { minWidth: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  muted: { color: tokens.colorNeutralForeground3 },
});

export const cycleRate = (c: Cycle) => (c.durationMs > 0 ? (c.bytesSent * 1000) / c.durationMs : 0);

export function CycleCharts({ cycles, rpoThresholdSeconds }: { cycles: Cycle[]; rpoThresholdSeconds: number }) {
  const styles = useStyles();
  const ok = cycles.filter((c) => c.ok);
  if (ok.length < 2)
    return (
      <Text className={styles.muted} data-testid="cycle-chart-empty">
        The RPO and throughput charts appear after two replication cycles.
      </Text>
    );
  const at = (c: Cycle) => new Date(c.at);
  const rpoValues = ok.filter((c) => c.rpoSeconds !== null).map((c) => c.rpoSeconds ?? 0);
  // The threshold line is drawn when the RPO comes near it; otherwise it would flatten the RPO to the axis.
  const nearThreshold = Math.max(0, ...rpoValues) >= rpoThresholdSeconds / 2;
  const threshold: LineChartPoints = {
    legend: 'RPO threshold',
    data: [
      { x: at(ok[0]), y: rpoThresholdSeconds },
      { x: at(ok[ok.length - 1]), y: rpoThresholdSeconds },
    ],
    color: tokens.colorPaletteMarigoldForeground1,
    lineOptions: { strokeDasharray: '5 3' },
    hideNonActiveDots: true,
  };
  const rpo: LineChartPoints[] = [
    {
      legend: 'RPO',
      data: ok
        .filter((c) => c.rpoSeconds !== null)
        .map((c) => ({ x: at(c), y: c.rpoSeconds ?? 0, yAxisCalloutData: formatAge(c.rpoSeconds) })),
      color: tokens.colorBrandForeground1,
    },
    ...(nearThreshold ? [threshold] : []),
  ];
  const rate: LineChartPoints[] = [
    {
      legend: 'Throughput',
      data: ok.map((c) => ({ x: at(c), y: cycleRate(c), yAxisCalloutData: `${formatBytes(cycleRate(c))}/s` })),
      color: tokens.colorPaletteTealForeground2,
    },
  ];
  return (
    <div className={styles.charts} data-testid="cycle-charts">
      <div className={styles.chart} role="img" aria-label={`RPO of the last ${ok.length} cycles`}>
        <Text weight="semibold">RPO (seconds)</Text>
        <Text
          size={200}
          className={styles.muted}
        >{`Threshold ${formatAge(rpoThresholdSeconds)}${nearThreshold ? ' (dashed)' : ''}`}</Text>
        <LineChart data={{ lineChartData: rpo }} height={220} yAxisTickCount={4} yMinValue={0} />
      </div>
      <div className={styles.chart} role="img" aria-label={`Throughput of the last ${ok.length} cycles`}>
        <Text weight="semibold">Throughput (bytes per second)</Text>
        <Text size={200} className={styles.muted}>{`Bytes sent per cycle over its duration, ${ok.length} cycles`}</Text>
        <LineChart
          data={{ lineChartData: rate }}
          height={220}
          yAxisTickCount={4}
          yMinValue={0}
          yAxisTickFormat={(v: number) => formatBytes(v)}
          margins={{ left: 72 }}
        />
      </div>
    </div>
  );
}
