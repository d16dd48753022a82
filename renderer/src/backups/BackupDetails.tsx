/** A backup's details (`backups.show`): totals, per-source sizes, and what deduplication and compression saved. */
import {
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useQuery } from '../api/query';
import { formatBytes, formatDuration, formatTime } from '../format';
import { useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  box: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    padding: `${tokens.spacingVerticalS} 0 ${tokens.spacingVerticalM}`,
  },
  sources: { maxWidth: '960px' },
});

const ratio = (r: number) => (Number.isFinite(r) && r > 0 ? `${r >= 100 ? Math.round(r) : r.toFixed(2)}×` : '—');

export function BackupDetails({ id }: { id: string }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const { data: b, error } = useQuery('backups.show', { id }, { reloadOnJob: () => false });
  if (error) return <Text>{`${error.message} ${error.hint ?? ''}`}</Text>;
  if (!b) return <Spinner size="tiny" label="Loading the backup…" />;
  return (
    <div className={styles.box} data-testid={`backup-details-${b.id}`}>
      <dl className={section.dl}>
        <dt>Backup</dt>
        <dd className={section.dd}>
          <span className={section.mono}>{b.id}</span> on {b.hostname}, {formatTime(b.createdAt)}, took{' '}
          {formatDuration(b.durationMs)}
        </dd>
        {b.parentId && (
          <>
            <dt>Incremental after</dt>
            <dd className={section.dd}>
              <span className={section.mono}>{b.parentId}</span>
            </dd>
          </>
        )}
        <dt>Size</dt>
        <dd className={section.dd}>
          {formatBytes(b.bytes)} in {b.files} file{b.files === 1 ? '' : 's'}; {formatBytes(b.bytesRead)} read from the
          sources
        </dd>
        <dt>New data</dt>
        <dd className={section.dd}>
          {formatBytes(b.bytesNew)} of new chunks, stored as {formatBytes(b.storedNew)}
        </dd>
        <dt>Deduplication</dt>
        <dd className={section.dd} data-testid="dedup-ratio">
          {ratio(b.dedupRatio)} (logical bytes per new byte stored)
        </dd>
        <dt>Compression</dt>
        <dd className={section.dd} data-testid="compression-ratio">
          {ratio(b.compressionRatio)} (new bytes per byte stored, after encryption and packing)
        </dd>
      </dl>
      <Table size="extra-small" aria-label={`Sources of backup ${b.id}`} className={styles.sources}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Source</TableHeaderCell>
            <TableHeaderCell>Kind</TableHeaderCell>
            <TableHeaderCell style={{ width: '45%' }}>Path</TableHeaderCell>
            <TableHeaderCell style={{ width: 80 }}>Files</TableHeaderCell>
            <TableHeaderCell style={{ width: 100 }}>Size</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {b.sources.map((s) => (
            <TableRow key={s.name}>
              <TableCell>{s.name}</TableCell>
              <TableCell>{s.kind === 'tree' ? 'Folder (share)' : 'Image (volume)'}</TableCell>
              <TableCell>
                <span className={section.mono}>{s.path ?? '—'}</span>
              </TableCell>
              <TableCell>{s.files}</TableCell>
              <TableCell>{formatBytes(s.bytes)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
