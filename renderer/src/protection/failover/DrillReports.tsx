/**
 * An item's drill reports, newest first: each test failover's point, how long it took to start, its commands' output,
 * when it was cleaned up and the notes given then. A drill still up says so, a scheduled one is marked; above them the
 * drill schedule, set, changed or stopped here (DrillScheduleSetting).
 */
import {
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
  Tooltip,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { formatDuration, formatTime } from '../../format';
import { pointKindLabel } from '../labels';
import { useProtectionQuery } from '../useProtectionQuery';
import { ErrorBar } from '../../ui/ErrorBar';
import { DrillScheduleSetting } from './DrillScheduleSetting';

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
  notes: { whiteSpace: 'pre-wrap' },
  output: { margin: 0, whiteSpace: 'pre-wrap' },
  scroll: { overflowX: 'auto' },
  table: { minWidth: '720px' },
});

export function DrillReports({ item }: { item: string }) {
  const styles = useStyles();
  const drills = useProtectionQuery('items.drills', { name: item }, 15_000);
  const list = [...(drills.data?.drills ?? [])].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return (
    <section aria-labelledby="drills-title" data-testid="drill-reports" data-drills={list.length}>
      <Title3 as="h2" id="drills-title">
        Drills
      </Title3>
      <DrillScheduleSetting item={item} />
      <ErrorBar error={drills.error} />
      {list.length === 0 ? (
        <Text className={styles.muted}>
          No test failover yet. A test failover (Fail over…, then Test failover) checks a point without touching
          replication.
        </Text>
      ) : (
        <div className={styles.scroll}>
          <Table aria-label={`Drill reports of ${item}`} size="small" className={styles.table}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell style={{ width: 170 }}>Started</TableHeaderCell>
                <TableHeaderCell style={{ width: 220 }}>Point</TableHeaderCell>
                <TableHeaderCell style={{ width: 110 }}>Time to start</TableHeaderCell>
                <TableHeaderCell style={{ width: 150 }}>Commands</TableHeaderCell>
                <TableHeaderCell style={{ width: 170 }}>Cleaned up</TableHeaderCell>
                <TableHeaderCell>Notes</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {list.map((d) => (
                <TableRow key={d.id} data-drill={d.id} data-cleaned={!!d.cleanedUpAt}>
                  <TableCell>
                    {formatTime(d.startedAt)}
                    {d.scheduled && (
                      <Text block size={200} className={styles.muted}>
                        scheduled
                      </Text>
                    )}
                  </TableCell>
                  <TableCell>{`${pointKindLabel(d.point.kind)}, ${formatTime(d.point.createdAt)}`}</TableCell>
                  <TableCell>{d.timeToStartMs === null ? '—' : formatDuration(d.timeToStartMs)}</TableCell>
                  <TableCell>
                    {d.commandRuns.length === 0
                      ? '—'
                      : d.commandRuns.map((r) => (
                          <Tooltip
                            key={r.name}
                            content={<pre className={styles.output}>{r.output || '(no output)'}</pre>}
                            relationship="description"
                          >
                            <Text block size={200} tabIndex={0}>{`${r.name}: exit ${r.exitCode ?? '—'}`}</Text>
                          </Tooltip>
                        ))}
                  </TableCell>
                  <TableCell>
                    {d.cleanedUpAt ? formatTime(d.cleanedUpAt) : <Text weight="semibold">still up</Text>}
                  </TableCell>
                  <TableCell className={styles.notes}>{d.notes ?? <span className={styles.muted}>—</span>}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      )}
    </section>
  );
}
