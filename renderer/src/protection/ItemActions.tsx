/**
 * What can be done to a protected item from its page: Replicate now, Pause or Resume, Resync (confirmed), Edit its
 * commands and resync window, the failover actions (FailoverActions), Disable protection (confirmed). Each says what
 * happened in the page's notice.
 */
import { Button, Spinner, Text, Toolbar } from '@fluentui/react-components';
import {
  ArrowRepeatAllRegular,
  ArrowSyncRegular,
  DeleteRegular,
  EditRegular,
  PauseRegular,
  PlayRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../api/client';
import { jobStartedNotice, type Notice } from '../ui/Notice';
import { DisableItemDialog } from './DisableItemDialog';
import { FailoverActions } from './failover/FailoverActions';
import { ConfirmDialog, jobStarter } from '../ui/FormDialog';
import { ItemEditDialog } from './ItemEditDialog';
import type { ItemInfo } from './labels';

type Dialog = 'resync' | 'edit' | 'disable' | null;

export interface ItemActionsProps {
  item: ItemInfo;
  onNotice(notice: Notice): void;
  /** Reload the item and its points after an action. */
  reload(): void;
}

export function ItemActions({ item, onNotice, reload }: ItemActionsProps) {
  const [busy, setBusy] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const name = item.name;
  // Failed over or committed, an item replicates nowhere until it is reprotected.
  const replicating = item.phase === 'protected' || item.phase === 'resync-required';
  const act = async (what: 'replicate' | 'pause' | 'resume') => {
    setBusy(what);
    if (what === 'replicate') {
      const r = await call('items.replicate', { name });
      onNotice(r.ok ? jobStartedNotice(r.value) : { intent: 'error', title: r.error.message, body: r.error.hint });
    } else {
      const r = await call(what === 'pause' ? 'items.pause' : 'items.resume', { name });
      const done =
        what === 'pause'
          ? `Replication of “${name}” is paused.`
          : `Replication of “${name}” resumed: a cycle runs now.`;
      onNotice(
        r.ok ? { intent: 'success', title: done } : { intent: 'error', title: r.error.message, body: r.error.hint },
      );
    }
    setBusy(null);
    reload();
  };
  const startJob = jobStarter(onNotice);
  const closeDialog = () => {
    setDialog(null);
    reload();
  };

  return (
    <>
      <Toolbar aria-label="Item actions" style={{ flexWrap: 'wrap' }}>
        <Button
          appearance="primary"
          icon={busy === 'replicate' ? <Spinner size="tiny" /> : <ArrowSyncRegular />}
          disabled={!!busy || item.paused || !replicating}
          onClick={() => void act('replicate')}
        >
          Replicate now
        </Button>
        {item.paused ? (
          <Button icon={<PlayRegular />} disabled={!!busy} onClick={() => void act('resume')}>
            Resume
          </Button>
        ) : (
          <Button icon={<PauseRegular />} disabled={!!busy} onClick={() => void act('pause')}>
            Pause
          </Button>
        )}
        <Button icon={<ArrowRepeatAllRegular />} disabled={!!busy || !replicating} onClick={() => setDialog('resync')}>
          Resync
        </Button>
        <Button icon={<EditRegular />} disabled={!!busy} onClick={() => setDialog('edit')}>
          Edit
        </Button>
        <FailoverActions item={item} onNotice={onNotice} reload={reload} />
        <Button icon={<DeleteRegular />} disabled={!!busy} onClick={() => setDialog('disable')}>
          Disable protection
        </Button>
      </Toolbar>
      {dialog === 'resync' && (
        <ConfirmDialog
          title={`Resynchronize “${name}” now?`}
          testId="resync-dialog"
          primary="Resync now"
          run={startJob(() => call('items.resync', { name }))}
          onClose={closeDialog}
        >
          <Text>
            Resync reads every disk at both sites, compares the checksums of fixed-size blocks and sends only the blocks
            that differ. On large disks it reads for a long time and loads the source;{' '}
            {item.resync.required
              ? 'the item needs one now.'
              : `it runs by itself in the window ${item.resync.window} when needed.`}
          </Text>
        </ConfirmDialog>
      )}
      {dialog === 'edit' && (
        <ItemEditDialog
          item={item}
          onClose={(saved) => {
            if (saved) onNotice({ intent: 'success', title: `Saved the settings of “${name}”.` });
            closeDialog();
          }}
        />
      )}
      {dialog === 'disable' && (
        <DisableItemDialog
          name={name}
          onClose={(done) => {
            setDialog(null);
            if (done) location.hash = '#/protected-items';
          }}
        />
      )}
    </>
  );
}
