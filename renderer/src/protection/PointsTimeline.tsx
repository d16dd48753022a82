/**
 * An item's recovery points on a time line, newest first: crash-consistent and app-consistent points told apart by
 * icon and words, multi-item points (one instant for every item of the replication group) marked, bytes sent. Given
 * `onSelect`, a point is picked on it (a failover's custom point): a tick on the strip or a row's radio button.
 */
import {
  Badge,
  Radio,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Tooltip,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { AppsRegular, FlashRegular, LinkMultipleRegular } from '@fluentui/react-icons';
import { formatBytes, formatTime } from '../format';
import { pointKindLabel, type Point } from './labels';

const useStyles = makeStyles({
  strip: {
    position: 'relative',
    height: '28px',
    borderBottom: `${tokens.strokeWidthThick} solid ${tokens.colorNeutralStroke2}`,
    margin: `0 ${tokens.spacingHorizontalM}`,
  },
  tick: {
    position: 'absolute',
    bottom: '-5px',
    width: '10px',
    height: '10px',
    borderRadius: tokens.borderRadiusCircular,
    transform: 'translateX(-5px)',
  },
  crash: { backgroundColor: tokens.colorBrandBackground },
  app: {
    backgroundColor: tokens.colorPaletteGreenBackground3,
    width: '14px',
    height: '14px',
    bottom: '-7px',
    transform: 'translateX(-7px)',
  },
  ends: {
    display: 'flex',
    justifyContent: 'space-between',
    color: tokens.colorNeutralForeground3,
    margin: `${tokens.spacingVerticalXS} 0`,
  },
  kind: { display: 'inline-flex', alignItems: 'center', gap: tokens.spacingHorizontalXS },
  scroll: { maxHeight: '320px', overflowY: 'auto' },
  pickable: { cursor: 'pointer', border: 'none', padding: 0 },
  picked: { outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}`, outlineOffset: '2px' },
});

export interface PointPick {
  selected: string | null;
  onSelect(id: string): void;
}

export function PointsTimeline({ points, pick }: { points: Point[]; pick?: PointPick }) {
  const styles = useStyles();
  if (points.length === 0)
    return (
      <Text data-testid="points-empty">No recovery point yet: the first is made when initial replication ends.</Text>
    );
  const sorted = [...points].sort((a, b) => a.seq - b.seq);
  const first = Date.parse(sorted[0].createdAt);
  const last = Date.parse(sorted[sorted.length - 1].createdAt);
  const span = Math.max(1, last - first);
  const newestFirst = [...sorted].reverse();
  return (
    <div data-testid="points-timeline" data-points={points.length}>
      <div className={styles.strip} aria-hidden>
        {sorted.map((p) => (
          <Tooltip
            key={p.id}
            content={`${pointKindLabel(p.kind)} · ${formatTime(p.createdAt)}`}
            relationship="description"
          >
            <span
              className={mergeClasses(
                styles.tick,
                p.kind === 'app' ? styles.app : styles.crash,
                pick && styles.pickable,
                pick?.selected === p.id && styles.picked,
              )}
              style={{ left: sorted.length === 1 ? '100%' : `${((Date.parse(p.createdAt) - first) / span) * 100}%` }}
              onClick={pick ? () => pick.onSelect(p.id) : undefined}
            />
          </Tooltip>
        ))}
      </div>
      <div className={styles.ends}>
        <Text size={200}>{formatTime(sorted[0].createdAt)}</Text>
        <Text size={200}>{formatTime(sorted[sorted.length - 1].createdAt)}</Text>
      </div>
      <div className={styles.scroll}>
        <Table aria-label="Recovery points" size="extra-small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell style={{ width: 60 }}>#</TableHeaderCell>
              <TableHeaderCell>Made at</TableHeaderCell>
              <TableHeaderCell>Kind</TableHeaderCell>
              <TableHeaderCell style={{ width: 110 }}>Sent</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {newestFirst.map((p) => (
              <TableRow
                key={p.id}
                data-point={p.id}
                data-kind={p.kind}
                data-group-point={p.groupPoint ?? ''}
                data-selected={pick?.selected === p.id || undefined}
              >
                <TableCell>
                  {pick ? (
                    <Radio
                      name="custom-point"
                      value={p.id}
                      checked={pick.selected === p.id}
                      onChange={() => pick.onSelect(p.id)}
                      label={String(p.seq)}
                      aria-label={`Point ${p.seq}, ${pointKindLabel(p.kind)}, made at ${formatTime(p.createdAt)}`}
                    />
                  ) : (
                    p.seq
                  )}
                </TableCell>
                <TableCell>{formatTime(p.createdAt)}</TableCell>
                <TableCell>
                  <span className={styles.kind}>
                    {p.kind === 'app' ? <AppsRegular aria-hidden /> : <FlashRegular aria-hidden />}
                    {pointKindLabel(p.kind)}
                    {p.groupPoint && (
                      <Badge
                        appearance="tint"
                        color="brand"
                        icon={<LinkMultipleRegular />}
                        title="One instant for every item of the replication group"
                      >
                        Multi-item
                      </Badge>
                    )}
                  </span>
                </TableCell>
                <TableCell>{formatBytes(p.bytes)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
    </div>
  );
}
