/**
 * Sites: the primary site (this installation) and recovery sites, a data root on this machine or a site agent.
 * Add a site (AddSiteDialog), test one (free space, throughput, latency), remove one no item uses (confirmed).
 */
import {
  Button,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Toolbar,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, DeleteRegular, PulseRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../api/client';
import { NoticeBar, type Notice } from '../ui/Notice';
import { formatBytes, formatRate } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { AddSiteDialog } from './AddSiteDialog';
import { ConfirmDialog } from '../ui/FormDialog';
import type { SiteInfo } from './labels';
import { useProtectionQuery } from './useProtectionQuery';

const useStyles = makeStyles({
  path: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all', fontSize: tokens.fontSizeBase200 },
  muted: { color: tokens.colorNeutralForeground3 },
});

const KIND_LABEL: Record<string, string> = {
  primary: 'Primary (this installation)',
  local: 'Recovery: folder on this machine',
  agent: 'Recovery: site agent',
};

export function SitesSection() {
  const styles = useStyles();
  const sites = useProtectionQuery('sites.list', {}, 0);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [removing, setRemoving] = useState<SiteInfo | null>(null);

  const test = async (site: SiteInfo) => {
    setBusy(site.name);
    const r = await call('sites.test', { name: site.name });
    setBusy(null);
    setNotice(
      r.ok
        ? {
            intent: 'success',
            title: `“${site.name}” answered in ${r.value.latencyMs < 10 ? r.value.latencyMs.toFixed(1) : Math.round(r.value.latencyMs)} ms`,
            body:
              `${formatBytes(r.value.free)} free of ${formatBytes(r.value.total)}; ` +
              `writes ${formatRate(r.value.writeBytesPerSecond)}, reads ${formatRate(r.value.readBytesPerSecond)}.`,
          }
        : { intent: 'error', title: r.error.message, body: r.error.hint },
    );
  };

  return (
    <section aria-label="Sites" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Text>
        A recovery site is where replicas and recovery points live: a folder on this machine (a disk, a NAS mount), or a
        site agent on another host paired with <code>lifeboat agent serve</code>.
      </Text>
      <Toolbar aria-label="Site actions">
        <Button appearance="primary" icon={<AddRegular />} onClick={() => setAdding(true)}>
          Add site
        </Button>
      </Toolbar>
      <NoticeBar notice={notice} onDismiss={() => setNotice(null)} testId="sites-notice" />
      <ErrorBar error={sites.error} />
      {sites.loading && !sites.data ? (
        <Spinner label="Loading sites…" />
      ) : (
        <Table aria-label="Sites" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell style={{ width: 160 }}>Name</TableHeaderCell>
              <TableHeaderCell style={{ width: 230 }}>Kind</TableHeaderCell>
              <TableHeaderCell>Location</TableHeaderCell>
              <TableHeaderCell style={{ width: 160 }}>Protected items</TableHeaderCell>
              <TableHeaderCell style={{ width: 200 }}>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {(sites.data ?? []).map((s) => (
              <TableRow key={s.name} data-site={s.name}>
                <TableCell>
                  <Text weight="semibold">{s.name}</Text>
                </TableCell>
                <TableCell>{KIND_LABEL[s.kind] ?? s.kind}</TableCell>
                <TableCell className={styles.path}>
                  {s.agent ?? s.root ?? '—'}
                  {s.agent && s.root && <span className={styles.muted}>{` (root ${s.root} on the agent host)`}</span>}
                </TableCell>
                <TableCell>
                  {s.items.length ? s.items.join(', ') : <span className={styles.muted}>none</span>}
                </TableCell>
                <TableCell>
                  {s.kind !== 'primary' && (
                    <>
                      <Button
                        size="small"
                        appearance="subtle"
                        icon={busy === s.name ? <Spinner size="tiny" /> : <PulseRegular />}
                        disabled={!!busy}
                        onClick={() => void test(s)}
                      >
                        Test
                      </Button>
                      <Button
                        size="small"
                        appearance="subtle"
                        icon={<DeleteRegular />}
                        disabled={!!busy}
                        onClick={() => setRemoving(s)}
                      >
                        Remove
                      </Button>
                    </>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {adding && (
        <AddSiteDialog
          onClose={(site) => {
            setAdding(false);
            if (site) {
              const where = site.root ?? site.agent;
              setNotice({
                intent: 'success',
                title: `Added the recovery site “${site.name}”`,
                body: `Replicas will be kept under ${where}.`,
              });
              sites.reload();
            }
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the site “${removing.name}”?`}
          testId="remove-site-dialog"
          primary="Remove site"
          run={() => call('sites.remove', { name: removing.name })}
          onClose={(removed) => {
            setRemoving(null);
            if (removed) {
              setNotice({
                intent: 'success',
                title: `Removed the site “${removing.name}”`,
                body: 'Its folder stays where it is.',
              });
              sites.reload();
            }
          }}
        >
          <Text>
            Lifeboat forgets the site. Its folder{removing.root ? ` ${removing.root}` : ''} stays where it is, with
            whatever it holds.
            {removing.items.length > 0 &&
              ` It is refused while protected items use the site (${removing.items.join(', ')}).`}
          </Text>
        </ConfirmDialog>
      )}
    </section>
  );
}
