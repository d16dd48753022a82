/**
 * Protected data per storage account as horizontal SVG bars with their labels. Screen readers get the same numbers
 * as a list (the SVG is hidden from them), so the chart never relies on its picture.
 */
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import type { StorageAccount } from '../api/types';
import { formatBytes } from '../format';
import { useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  figure: { margin: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  svg: { width: '100%', maxWidth: '760px', height: 'auto', display: 'block' },
  caption: { color: tokens.colorNeutralForeground3 },
});

const ROW = 30;
const LABEL = 170;
const VALUE = 110;
const WIDTH = 760;
const BAR_H = 16;

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function UsageChart({ accounts }: { accounts: StorageAccount[] }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const max = Math.max(1, ...accounts.map((a) => a.bytes));
  const barMax = WIDTH - LABEL - VALUE;
  const height = accounts.length * ROW + 4;
  return (
    <figure className={styles.figure} data-testid="usage-chart">
      <svg className={styles.svg} viewBox={`0 0 ${WIDTH} ${height}`} aria-hidden="true" focusable="false">
        <line x1={LABEL} x2={LABEL} y1={0} y2={height} style={{ stroke: tokens.colorNeutralStroke1 }} />
        {accounts.map((a, i) => {
          const y = i * ROW + 4;
          const w = a.bytes > 0 ? Math.max(2, (a.bytes / max) * barMax) : 0;
          return (
            <g key={a.id}>
              <text x={LABEL - 8} y={y + BAR_H - 3} textAnchor="end" style={{ fill: tokens.colorNeutralForeground1, fontSize: 13, fontFamily: tokens.fontFamilyBase }}>
                {truncate(a.name, 22)}
              </text>
              <rect x={LABEL} y={y} width={barMax} height={BAR_H} rx={2} style={{ fill: tokens.colorNeutralBackground3 }} />
              <rect x={LABEL} y={y} width={w} height={BAR_H} rx={2} style={{ fill: a.kind === 'azure' ? tokens.colorPaletteBlueBorderActive : tokens.colorBrandBackground }} />
              <text x={LABEL + barMax + 8} y={y + BAR_H - 3} style={{ fill: tokens.colorNeutralForeground2, fontSize: 13, fontFamily: tokens.fontFamilyBase }}>
                {formatBytes(a.bytes)}
              </text>
            </g>
          );
        })}
      </svg>
      <ul className={section.srOnly} aria-label="Protected data per storage account">
        {accounts.map((a) => (
          <li key={a.id}>
            {a.name}: {formatBytes(a.bytes)} in {a.backups} backup{a.backups === 1 ? '' : 's'}
          </li>
        ))}
      </ul>
      <Text as="span" size={200} className={styles.caption}>
        Logical size of the newest backup of each set of sources, per account. Stored bytes are smaller after deduplication and compression.
      </Text>
    </figure>
  );
}
