/**
 * Storage accounts: where backups are kept. A table with each account's size and last probe, row actions (Test,
 * Check, Rebuild catalog, Remove), a usage chart, the Add storage account wizard, and an empty state that explains.
 */
import {
  Button,
  Card,
  Link,
  Menu,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  AddRegular,
  ArrowSyncRegular,
  DatabaseRegular,
  DeleteRegular,
  MoreHorizontalRegular,
  PlugConnectedRegular,
  ShieldTaskRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { UsageChart } from '../accounts/UsageChart';
import { RemoveAccountDialog } from '../accounts/RemoveAccountDialog';
import { AddAccountWizard } from '../accounts/AddAccountWizard';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { ProbeResult, StorageAccount } from '../api/types';
import { formatBytes, formatRate, formatTime } from '../format';
import { ColumnHeader, type Column } from '../ui/ColumnHeader';
import { ErrorBar } from '../ui/ErrorBar';
import { NoticeBar, errorNotice, type Notice } from '../ui/Notice';
import { Page, useSectionStyles } from '../ui/Page';

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXS, flexWrap: 'wrap' },
  location: { wordBreak: 'break-all', fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
});

// Kind carries the container, and Protected data the number of backups, so every column shows in a 1024 px window.
const COLUMNS: Column[] = [
  ['Name'],
  ['Kind', 128],
  ['Location'],
  ['Protected data', 104],
  ['Last probe', 160],
  ['Actions', 168],
];

export const probeSummary = (p: ProbeResult) =>
  p.ok
    ? `${p.latencyMs === null ? '—' : `${Math.round(p.latencyMs * 10) / 10} ms`} · write ${p.writeBytesPerSecond === null ? '—' : formatRate(p.writeBytesPerSecond)} · read ${p.readBytesPerSecond === null ? '—' : formatRate(p.readBytesPerSecond)}`
    : `Failed: ${p.error ?? 'unknown error'}`;

const jobLink = <Link href="#/jobs">Jobs page</Link>;

function AccountRow({
  account,
  onNotice,
  onRemove,
  busyWith,
  setBusy,
}: {
  account: StorageAccount;
  onNotice(n: Notice): void;
  onRemove(): void;
  busyWith: string | null;
  setBusy(what: string | null): void;
}) {
  const styles = useStyles();
  const a = account;

  const test = async () => {
    setBusy('test');
    const r = await call('accounts.test', { name: a.name });
    setBusy(null);
    onNotice(
      r.ok
        ? { intent: r.value.ok ? 'success' : 'error', title: `Tested “${a.name}”`, body: probeSummary(r.value) }
        : errorNotice(r.error),
    );
  };
  const check = async (readData: boolean) => {
    const r = await call('accounts.check', { name: a.name, readData });
    onNotice(
      r.ok
        ? { intent: 'info', title: `Started “${r.value.title}”`, body: <>Follow it on the {jobLink}.</> }
        : errorNotice(r.error),
    );
  };
  const rebuild = async () => {
    setBusy('rebuild');
    const r = await call('accounts.rebuildCatalog', { name: a.name });
    setBusy(null);
    if (!r.ok) return onNotice(errorNotice(r.error));
    const v = r.value;
    onNotice({
      intent: v.damaged.length ? 'error' : 'success',
      title: `Rebuilt the catalog of “${a.name}”`,
      body: `${v.backups} backup${v.backups === 1 ? '' : 's'} in the account (${v.added} added, ${v.removed} removed), ${v.chunks} chunks in ${v.packs} packs.${v.damaged.length ? ` Damaged: ${v.damaged.map((d) => `${d.id} (${d.message})`).join('; ')}` : ''}`,
    });
  };

  return (
    <TableRow data-account={a.name}>
      <TableCell>
        <Text weight="semibold">{a.name}</Text>
      </TableCell>
      <TableCell>
        {a.kind === 'local' ? 'Local folder' : 'Azure Blob'}
        {a.container && (
          <Text block size={200} className={styles.muted}>
            container {a.container}
          </Text>
        )}
      </TableCell>
      <TableCell>
        <span className={styles.location}>{a.location}</span>
      </TableCell>
      <TableCell>
        <Text block>{formatBytes(a.bytes)}</Text>
        <Text block size={200} className={styles.muted}>
          <span data-testid="account-backups">{a.backups}</span> {a.backups === 1 ? 'backup' : 'backups'}
        </Text>
      </TableCell>
      <TableCell data-testid="account-probe">
        {busyWith === 'test' ? (
          <Spinner size="tiny" label="Testing…" />
        ) : a.lastProbe ? (
          <>
            <Text block size={200}>
              {probeSummary(a.lastProbe)}
            </Text>
            <Text block size={200} className={styles.muted}>
              {formatTime(a.lastProbe.at)}
            </Text>
          </>
        ) : (
          '—'
        )}
      </TableCell>
      <TableCell>
        <div className={styles.actions}>
          <Button
            size="small"
            icon={<PlugConnectedRegular />}
            onClick={test}
            disabled={busyWith !== null}
            aria-label={`Test ${a.name}`}
          >
            Test
          </Button>
          <Menu>
            <MenuTrigger disableButtonEnhancement>
              <Button size="small" icon={<ShieldTaskRegular />} aria-label={`Check ${a.name}`}>
                Check
              </Button>
            </MenuTrigger>
            <MenuPopover>
              <MenuList>
                <MenuItem onClick={() => check(false)}>Check the structure (fast)</MenuItem>
                <MenuItem onClick={() => check(true)}>Check every byte (reads all data)</MenuItem>
              </MenuList>
            </MenuPopover>
          </Menu>
          <Menu>
            <MenuTrigger disableButtonEnhancement>
              <Button
                size="small"
                appearance="subtle"
                icon={busyWith === 'rebuild' ? <Spinner size="extra-tiny" /> : <MoreHorizontalRegular />}
                aria-label={`More actions for ${a.name}`}
              />
            </MenuTrigger>
            <MenuPopover>
              <MenuList>
                <MenuItem icon={<ArrowSyncRegular />} onClick={rebuild} disabled={busyWith !== null}>
                  Rebuild catalog
                </MenuItem>
                <MenuItem icon={<DeleteRegular />} onClick={onRemove}>
                  Remove…
                </MenuItem>
              </MenuList>
            </MenuPopover>
          </Menu>
        </div>
      </TableCell>
    </TableRow>
  );
}

export function StorageAccountsPage() {
  const section = useSectionStyles();
  const accounts = useQuery('accounts.list', {});
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<StorageAccount | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<Record<string, string | null>>({});
  const list = accounts.data ?? [];

  const onNotice = (n: Notice) => {
    setNotice(n);
    accounts.reload();
  };

  const add = (
    <Button appearance="primary" icon={<AddRegular />} onClick={() => setAdding(true)}>
      Add storage account
    </Button>
  );

  return (
    <Page
      title="Storage accounts"
      description="Where backups and replicas are kept: a local folder or an Azure Blob container."
      actions={list.length > 0 ? add : undefined}
    >
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="accounts-notice" />
      <ErrorBar error={accounts.error} />
      {accounts.loading && !accounts.data ? (
        <Spinner label="Loading storage accounts…" />
      ) : list.length === 0 ? (
        <section className={section.empty} aria-labelledby="accounts-empty-title">
          <DatabaseRegular fontSize={40} />
          <Title3 as="h2" id="accounts-empty-title">
            No storage accounts yet
          </Title3>
          <Text>
            A storage account is where Lifeboat keeps backups: a folder on this machine (a disk, a NAS mount or a
            removable drive) or an Azure Blob container off site.
          </Text>
          <Text>
            Every backup is split into chunks that are deduplicated, compressed and encrypted with keys derived from the
            service data encryption key before they reach the account. With the account and that key, a fresh
            installation can rebuild its whole catalog, so the account is what you recover from.
          </Text>
          {add}
        </section>
      ) : (
        <>
          <Card className={section.card} role="region" aria-labelledby="usage-title">
            <Title3 as="h2" id="usage-title">
              Storage usage
            </Title3>
            <UsageChart accounts={list} />
          </Card>
          <div style={{ overflowX: 'auto' }}>
            <Table aria-label="Storage accounts" size="small">
              <ColumnHeader columns={COLUMNS} />
              <TableBody>
                {list.map((a) => (
                  <AccountRow
                    key={a.id}
                    account={a}
                    onNotice={onNotice}
                    onRemove={() => setRemoving(a)}
                    busyWith={busy[a.name] ?? null}
                    setBusy={(what) => setBusy((b) => ({ ...b, [a.name]: what }))}
                  />
                ))}
              </TableBody>
            </Table>
          </div>
        </>
      )}
      {adding && (
        <AddAccountWizard
          onClose={(added) => {
            setAdding(false);
            if (added) onNotice({ intent: 'success', title: `Added “${added.name}”` });
          }}
        />
      )}
      {removing && (
        <RemoveAccountDialog
          account={removing}
          onClose={(removed) => {
            setRemoving(null);
            if (removed)
              onNotice({
                intent: 'success',
                title: `Removed “${removed.removed}”`,
                body: removed.backupsForgotten
                  ? `${removed.backupsForgotten} backup(s) forgotten here; their data stays in the account.`
                  : undefined,
              });
          }}
        />
      )}
    </Page>
  );
}
