/**
 * The backups a prune keeps and removes, newest first, each shown by its date, label and sources from the catalog.
 * A backup the account holds but this installation's catalog does not list is shown by its id alone.
 */
import {
  Badge,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
} from '@fluentui/react-components';
import type { Backup } from '../api/types';
import { formatBytes, formatTime } from '../format';
import { useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  scroll: { maxHeight: '260px', overflowY: 'auto' },
});

interface Row {
  id: string;
  outcome: 'kept' | 'removed';
  backup: Backup | undefined;
}

export function PrunePlanTable({
  backups,
  kept,
  removed,
  label,
}: {
  backups: Backup[];
  kept: string[];
  removed: string[];
  label: string;
}) {
  const styles = useStyles();
  const section = useSectionStyles();
  const byId = new Map(backups.map((b) => [b.id, b]));
  const rows: Row[] = [
    ...kept.map((id) => ({ id, outcome: 'kept' as const })),
    ...removed.map((id) => ({ id, outcome: 'removed' as const })),
  ].map((r) => ({
    ...r,
    backup: byId.get(r.id),
  }));
  // Newest first, like the Backups page; ids the catalog lacks go last.
  rows.sort((a, b) => (b.backup?.createdAt ?? '').localeCompare(a.backup?.createdAt ?? ''));
  const showOutcome = kept.length > 0;
  return (
    <div className={styles.scroll}>
      <Table size="extra-small" aria-label={label}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Created</TableHeaderCell>
            <TableHeaderCell>Label</TableHeaderCell>
            <TableHeaderCell>Sources</TableHeaderCell>
            <TableHeaderCell style={{ width: 90 }}>Size</TableHeaderCell>
            {showOutcome && <TableHeaderCell style={{ width: 100 }}>Prune</TableHeaderCell>}
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map(({ id, outcome, backup: b }) => (
            <TableRow key={id} data-prune-backup-id={id} data-outcome={outcome}>
              <TableCell>{b ? formatTime(b.createdAt) : <span className={section.mono}>{id}</span>}</TableCell>
              <TableCell>{b?.label ?? <span className={section.muted}>—</span>}</TableCell>
              <TableCell>{b?.sourceNames ?? <span className={section.muted}>not in the catalog</span>}</TableCell>
              <TableCell>{b ? formatBytes(b.bytes) : '—'}</TableCell>
              {showOutcome && (
                <TableCell>
                  <Badge appearance="tint" color={outcome === 'kept' ? 'success' : 'danger'}>
                    {outcome === 'kept' ? 'Kept' : 'Removed'}
                  </Badge>
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
