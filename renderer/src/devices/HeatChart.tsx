/**
 * The heat map of a device's newest backup as stacked horizontal SVG bars per share or volume: hot, warm and cold
 * bytes (hot data is restored first in a failover). Screen readers get the same numbers as a list; the bands carry
 * patterns of lightness, and a legend with text, so colour is never the only cue.
 */
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { formatBytes, formatTime } from '../format';
import { useSectionStyles } from '../ui/Page';
import type { HeatMap } from './labels';

const useStyles = makeStyles({
  figure: { margin: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  svg: { width: '100%', maxWidth: '760px', height: 'auto', display: 'block' },
  legend: { display: 'flex', gap: tokens.spacingHorizontalL, flexWrap: 'wrap', color: tokens.colorNeutralForeground2 },
  swatch: { display: 'inline-block', width: '12px', height: '12px', marginRight: '6px', verticalAlign: 'middle', borderRadius: '2px' },
  caption: { color: tokens.colorNeutralForeground3 },
  hottest: { margin: 0, paddingLeft: tokens.spacingHorizontalXL, fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
});

const ROW = 30;
const LABEL = 170;
const VALUE = 120;
const WIDTH = 760;
const BAR_H = 16;

const BANDS = [
  { key: 'hotBytes', label: 'Hot', fill: tokens.colorPaletteRedBackground3 },
  { key: 'warmBytes', label: 'Warm', fill: tokens.colorPaletteMarigoldBackground3 },
  { key: 'coldBytes', label: 'Cold', fill: tokens.colorPaletteBlueBorderActive },
] as const;

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function HeatChart({ heat }: { heat: HeatMap }) {
  const styles = useStyles();
  const section = useSectionStyles();
  if (!heat.backupId || heat.items.length === 0)
    return (
      <Text className={styles.caption} data-testid="heat-chart-empty">
        No heat map yet: it is recorded with each backup. Take a backup to see which data is hot.
      </Text>
    );
  const total = (i: HeatMap['items'][number]) => i.hotBytes + i.warmBytes + i.coldBytes;
  const max = Math.max(1, ...heat.items.map(total));
  const barMax = WIDTH - LABEL - VALUE;
  const height = heat.items.length * ROW + 4;
  return (
    <figure className={styles.figure} data-testid="heat-chart">
      <div className={styles.legend} aria-hidden="true">
        {BANDS.map((b) => (
          <span key={b.key}>
            <span className={styles.swatch} style={{ backgroundColor: b.fill }} />
            {b.label}
          </span>
        ))}
      </div>
      <svg className={styles.svg} viewBox={`0 0 ${WIDTH} ${height}`} aria-hidden="true" focusable="false">
        <line x1={LABEL} x2={LABEL} y1={0} y2={height} style={{ stroke: tokens.colorNeutralStroke1 }} />
        {heat.items.map((item, i) => {
          const y = i * ROW + 4;
          let x = LABEL;
          return (
            <g key={item.name}>
              <text x={LABEL - 8} y={y + BAR_H - 3} textAnchor="end" style={{ fill: tokens.colorNeutralForeground1, fontSize: 13, fontFamily: tokens.fontFamilyBase }}>
                {truncate(item.name, 22)}
              </text>
              <rect x={LABEL} y={y} width={barMax} height={BAR_H} rx={2} style={{ fill: tokens.colorNeutralBackground3 }} />
              {BANDS.map((b) => {
                const v = item[b.key];
                const w = v > 0 ? Math.max(2, (v / max) * barMax) : 0;
                const rect = <rect key={b.key} x={x} y={y} width={w} height={BAR_H} style={{ fill: b.fill }} />;
                x += w;
                return rect;
              })}
              <text x={LABEL + barMax + 8} y={y + BAR_H - 3} style={{ fill: tokens.colorNeutralForeground2, fontSize: 13, fontFamily: tokens.fontFamilyBase }}>
                {formatBytes(total(item))}
              </text>
            </g>
          );
        })}
      </svg>
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
        From the backup of {formatTime(heat.at)}. A failover restores hot data first, so what is used most is local first.
      </Text>
    </figure>
  );
}
