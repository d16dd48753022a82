/**
 * Sites: the primary site (this installation) and recovery sites, a data root on this machine or a site agent.
 * Add a local site with its root folder, test a site (free space, throughput, latency), remove one no item uses.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
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
import { useState, type FormEvent } from 'react';
import { absolutePathProblem } from '../accounts/validation';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { NoticeBar, type Notice } from '../devices/notice';
import { shownField } from '../devices/validation';
import { formatBytes, formatRate } from '../format';
import { ErrorBar } from '../pages/ErrorBar';
import { fieldState } from '../wizard/machine';
import type { SiteInfo } from './labels';
import { useProtectionQuery } from './useProtectionQuery';
import { nameProblem } from './validation';

const useStyles = makeStyles({
  path: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all', fontSize: tokens.fontSizeBase200 },
  muted: { color: tokens.colorNeutralForeground3 },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

const KIND_LABEL: Record<string, string> = { primary: 'Primary (this installation)', local: 'Recovery: folder on this machine', agent: 'Recovery: site agent' };

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
        A recovery site is where replicas and recovery points live: a folder on this machine (a disk, a NAS mount), or a site agent on another host paired
        with{' '}
        <code>lifeboat agent serve</code>.
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
                <TableCell className={styles.path}>{s.root ?? s.agent ?? '—'}</TableCell>
                <TableCell>{s.items.length ? s.items.join(', ') : <span className={styles.muted}>none</span>}</TableCell>
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
                        disabled={!!busy || s.items.length > 0}
                        title={s.items.length ? 'Disable protection of its items first' : undefined}
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
              setNotice({ intent: 'success', title: `Added the recovery site “${site.name}”`, body: `Replicas will be kept under ${where}.` });
              sites.reload();
            }
          }}
        />
      )}
      {removing && (
        <RemoveSiteDialog
          site={removing}
          onClose={(removed) => {
            setRemoving(null);
            if (removed) {
              setNotice({ intent: 'success', title: `Removed the site “${removing.name}”`, body: 'Its folder stays where it is.' });
              sites.reload();
            }
          }}
        />
      )}
    </section>
  );
}

function AddSiteDialog({ onClose }: { onClose(site: SiteInfo | null): void }) {
  const styles = useStyles();
  const [name, setName] = useState('');
  const [root, setRoot] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const problems = { name: nameProblem(name, 'site', 50), root: absolutePathProblem(root) ?? undefined };
  const refused = shownField(error, ['name', 'root']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (problems.name || problems.root || busy) return;
    setBusy(true);
    setError(null);
    const r = await call('sites.add', { name: name.trim(), root: root.trim() });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };
  const shown = (f: 'name' | 'root') => (refused === f ? error?.message : tried ? problems[f] : undefined);
  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && !busy && onClose(null)}>
      <DialogSurface aria-label="Add a recovery site" data-testid="add-site-dialog">
        <form onSubmit={submit} noValidate>
          <DialogBody>
            <DialogTitle>Add a recovery site</DialogTitle>
            <DialogContent className={styles.form}>
              <Text>A folder on this machine that will hold the replicas of protected items and their recovery points. It must be empty or not exist yet.</Text>
              <Field label="Site name" required {...fieldState(shown('name'))}>
                <Input value={name} onChange={(_, v) => setName(v.value)} autoComplete="off" spellCheck={false} placeholder="dr" />
              </Field>
              <Field label="Root folder" required {...fieldState(shown('root'))} hint="An absolute path; its free space bounds what the site can hold.">
                <Input value={root} onChange={(_, v) => setRoot(v.value)} autoComplete="off" spellCheck={false} placeholder="/srv/lifeboat-dr" />
              </Field>
              {error && !refused && <ErrorBar error={error} alert testId="add-site-error" />}
              {error && refused && error.hint && <Text>{error.hint}</Text>}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => onClose(null)} disabled={busy}>
                Cancel
              </Button>
              <Button appearance="primary" type="submit" disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
                Add site
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

function RemoveSiteDialog({ site, onClose }: { site: SiteInfo; onClose(removed: boolean): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const remove = async () => {
    setBusy(true);
    const r = await call('sites.remove', { name: site.name });
    setBusy(false);
    if (r.ok) onClose(true);
    else setError(r.error);
  };
  return (
    <Dialog open modalType="alert" onOpenChange={(_, d) => !d.open && !busy && onClose(false)}>
      <DialogSurface aria-label={`Remove the site ${site.name}`} data-testid="remove-site-dialog">
        <DialogBody>
          <DialogTitle>Remove the site “{site.name}”?</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
            <Text>Lifeboat forgets the site. Its folder{site.root ? ` ${site.root}` : ''} stays where it is, with whatever it holds.</Text>
            <ErrorBar error={error} alert />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => onClose(false)} disabled={busy}>
              Cancel
            </Button>
            <Button appearance="primary" onClick={() => void remove()} disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
              Remove site
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
