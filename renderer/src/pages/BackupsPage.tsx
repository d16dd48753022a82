/**
 * Backups, newest first, per storage account: what each holds and what it added to the account; a row opens its
 * details. Take a backup, restore one through the restore wizard, delete one, or prune an account by keep rules.
 * Jobs report on the Jobs page.
 */
import {
  Button,
  Field,
  Select,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  ArchiveRegular,
  ArrowUndoRegular,
  BroomRegular,
  ChevronDownRegular,
  ChevronRightRegular,
  DeleteRegular,
  SaveRegular,
  WarningRegular,
} from '@fluentui/react-icons';
import { Fragment, useState } from 'react';
import { useQuery } from '../api/query';
import type { Backup } from '../api/types';
import { BackupDetails } from '../backups/BackupDetails';
import { DeleteBackupDialog } from '../backups/DeleteBackupDialog';
import { PruneDialog, type PruneResult } from '../backups/PruneDialog';
import { TakeBackupDialog } from '../backups/TakeBackupDialog';
import { initialRestore, restorePath, restoreSteps } from '../backups/restoreSteps';
import { formatBytes, formatTime } from '../format';
import { WizardDialog } from '../wizard/WizardDialog';
import { ErrorBar } from '../ui/ErrorBar';
import { NoticeBar, jobStartedNotice, type Notice } from '../ui/Notice';
import { placesForCommands } from '../ui/screen-errors';
import { Page, useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  toolbar: { display: 'flex', gap: tokens.spacingHorizontalL, alignItems: 'flex-end', flexWrap: 'wrap' },
  details: { backgroundColor: tokens.colorNeutralBackground2 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXS, flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
  problem: { color: tokens.colorPaletteRedForeground1, wordBreak: 'break-word' },
});

// Size carries the file count and the new data stored under it, so every column shows in a 1024 px window.
const COLUMNS = ['', 'Created', 'Label', 'Account', 'Sources', 'Size', 'Actions'];
const WIDTHS: Record<string, number> = { '': 40, Created: 112, Account: 96, Size: 132, Actions: 176 };
const ALL = '';

const prunedNotice = (r: PruneResult): Notice => ({
  // Backups that could not be read stop the data cleanup: a warning that says so, not a success that freed 0 B.
  intent: r.damaged.length ? 'warning' : 'success',
  title: `Pruned “${r.account}”`,
  body:
    `Removed ${r.removed.length} backup${r.removed.length === 1 ? '' : 's'}, kept ${r.kept.length}; freed ${formatBytes(r.bytesFreed)}, ${r.packsRepacked} pack${r.packsRepacked === 1 ? '' : 's'} repacked.` +
    (r.notice ? ` ${placesForCommands(r.notice)}` : ''),
});

export function BackupsPage() {
  const styles = useStyles();
  const section = useSectionStyles();
  const [account, setAccount] = useState(ALL);
  const accounts = useQuery('accounts.list', {});
  const backups = useQuery('backups.list', account ? { account } : {});
  const [expanded, setExpanded] = useState<string | null>(null);
  const [taking, setTaking] = useState(false);
  const [restoring, setRestoring] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Backup | null>(null);
  const [pruning, setPruning] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const list = backups.data ?? [];
  const accountList = accounts.data ?? [];

  const row = (b: Backup) => {
    const open = expanded === b.id;
    return (
      <Fragment key={b.id}>
        <TableRow data-backup-id={b.id}>
          <TableCell style={{ width: 40 }}>
            <Button
              appearance="subtle"
              size="small"
              icon={open ? <ChevronDownRegular /> : <ChevronRightRegular />}
              aria-expanded={open}
              aria-controls={`backup-details-${b.id}`}
              aria-label={`${open ? 'Hide' : 'Show'} the details of backup ${b.id}`}
              onClick={() => setExpanded(open ? null : b.id)}
            />
          </TableCell>
          <TableCell>{formatTime(b.createdAt)}</TableCell>
          <TableCell>
            {b.label ?? <span className={styles.muted}>—</span>}
            {b.problem && (
              // What the last account check found missing or damaged: this backup cannot be restored whole.
              <Text block size={200} className={styles.problem} data-testid="backup-problem">
                <WarningRegular aria-hidden /> Cannot be restored whole: {b.problem}
              </Text>
            )}
          </TableCell>
          <TableCell>{b.account}</TableCell>
          <TableCell>{b.sourceNames}</TableCell>
          <TableCell>
            <Text block>{formatBytes(b.bytes)}</Text>
            <Text block size={200} className={styles.muted}>
              {b.files} {b.files === 1 ? 'file' : 'files'} · {formatBytes(b.storedNew)} new
            </Text>
          </TableCell>
          <TableCell>
            <div className={styles.actions}>
              <Button
                size="small"
                icon={<ArrowUndoRegular />}
                onClick={() => setRestoring(b.id)}
                aria-label={`Restore backup ${b.id}`}
              >
                Restore
              </Button>
              <Button
                size="small"
                icon={<DeleteRegular />}
                onClick={() => setDeleting(b)}
                aria-label={`Delete backup ${b.id}`}
              >
                Delete
              </Button>
            </div>
          </TableCell>
        </TableRow>
        {open && (
          <TableRow id={`backup-details-${b.id}`} className={styles.details}>
            <TableCell colSpan={COLUMNS.length}>
              <BackupDetails id={b.id} />
            </TableCell>
          </TableRow>
        )}
      </Fragment>
    );
  };

  return (
    <Page
      title="Backups"
      description="Point-in-time copies of folders (shares) and image files (volumes), deduplicated, compressed and encrypted in a storage account."
      actions={
        <>
          <Button
            icon={<BroomRegular />}
            onClick={() => setPruning(true)}
            disabled={accountList.length === 0}
            title={
              accountList.length
                ? 'Delete the backups that keep rules do not keep, and free their data'
                : 'Add a storage account first'
            }
          >
            Prune…
          </Button>
          <Button appearance="primary" icon={<SaveRegular />} onClick={() => setTaking(true)}>
            Take a backup
          </Button>
        </>
      }
    >
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="backups-notice" />
      <ErrorBar error={backups.error ?? accounts.error} />
      <div className={styles.toolbar}>
        <Field label="Storage account">
          <Select value={account} onChange={(_, v) => setAccount(v.value)} aria-label="Show the backups of">
            <option value={ALL}>All accounts</option>
            {accountList.map((a) => (
              <option key={a.id} value={a.name}>
                {a.name}
              </option>
            ))}
          </Select>
        </Field>
        {backups.loading && <Spinner size="tiny" label="Loading…" />}
      </div>
      {!backups.data && backups.loading ? null : list.length === 0 ? (
        <section className={section.empty} aria-labelledby="backups-empty-title">
          <ArchiveRegular fontSize={40} />
          <Title3 as="h2" id="backups-empty-title">
            {account ? `No backups in “${account}”` : 'No backups yet'}
          </Title3>
          <Text>
            A backup is a point-in-time copy of folders and image files. Each lists its sources, sizes, and how much
            deduplication and compression saved; only what changed since the previous backup of the same sources is
            uploaded.
          </Text>
          <Text>
            Restore a whole backup, some of its sources, or a single path into a folder, with progress on the Jobs page.
          </Text>
          <Button appearance="primary" icon={<SaveRegular />} onClick={() => setTaking(true)}>
            Take a backup
          </Button>
        </section>
      ) : (
        <div style={{ overflowX: 'auto' }}>
          <Table aria-label="Backups" size="small">
            <TableHeader>
              <TableRow>
                {COLUMNS.map((c, i) => (
                  <TableHeaderCell key={c || i} style={WIDTHS[c] ? { width: WIDTHS[c] } : undefined}>
                    {c || <span className={section.srOnly}>Details</span>}
                  </TableHeaderCell>
                ))}
              </TableRow>
            </TableHeader>
            <TableBody>{list.map(row)}</TableBody>
          </Table>
        </div>
      )}
      {taking && (
        <TakeBackupDialog
          accounts={accountList}
          account={account || null}
          onClose={(job) => {
            setTaking(false);
            if (job) setNotice(jobStartedNotice(job));
          }}
        />
      )}
      {restoring && (
        <WizardDialog
          id="restore"
          label="Restore a backup"
          steps={restoreSteps}
          path={restorePath}
          initial={initialRestore(list, restoring)}
          onClose={(data) => {
            setRestoring(null);
            if (data.job) setNotice(jobStartedNotice(data.job));
          }}
        />
      )}
      {pruning && (
        <PruneDialog
          accounts={accountList}
          account={account || null}
          onPruned={(result) => {
            setNotice(prunedNotice(result));
            backups.reload();
            accounts.reload();
          }}
          onClose={() => setPruning(false)}
        />
      )}
      {deleting && (
        <DeleteBackupDialog
          backup={deleting}
          onClose={(deleted) => {
            if (deleted) {
              setNotice({ intent: 'success', title: `Deleted backup ${deleting.id}` });
              backups.reload();
              accounts.reload();
            }
            setDeleting(null);
          }}
        />
      )}
    </Page>
  );
}
