/**
 * The shares of a file server or the volumes of an iSCSI server, with usage against quota (over quota marked),
 * and their actions: add, edit, take offline, bring online, delete.
 */
import {
  Badge,
  Button,
  ProgressBar,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  AddRegular,
  DeleteRegular,
  EditRegular,
  PlugConnectedRegular,
  PlugDisconnectedRegular,
} from '@fluentui/react-icons';
import { useState } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { formatBytes } from '../format';
import { ColumnHeader, type Column } from '../ui/ColumnHeader';
import { ErrorBar } from '../ui/ErrorBar';
import { DeleteItemDialog, OfflineDialog, type ItemKind } from './ItemDialogs';
import { TIER_LABEL, type Device, type Share, type Volume } from './labels';
import { ShareDialog } from './ShareDialog';
import { VolumeDialog } from './VolumeDialog';

const useStyles = makeStyles({
  head: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: tokens.spacingHorizontalM },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXS, flexWrap: 'wrap' },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, wordBreak: 'break-all' },
  muted: { color: tokens.colorNeutralForeground3 },
  over: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
});

/** Headers and widths: the unsized columns share the rest, so both tables fit a 1024 px window. */
const SHARE_COLUMNS: Column[] = [
  ['Name'],
  ['Tier', 96],
  ['Used / quota', 112],
  ['Status', 72],
  ['Users'],
  ['Actions', 248],
];
const VOLUME_COLUMNS: Column[] = [
  ['Name'],
  ['Tier / type', 104],
  ['Allocated / size', 112],
  ['Status', 72],
  ['Access (ACRs, CHAP)'],
  ['Actions', 288],
];

type Open =
  | { what: 'add' }
  | { what: 'edit'; name: string }
  | { what: 'offline'; name: string }
  | { what: 'delete'; name: string }
  | null;

const OnlineBadge = ({ online }: { online: boolean }) => (
  <Badge appearance="tint" color={online ? 'success' : 'warning'}>
    {online ? 'Online' : 'Offline'}
  </Badge>
);

export function ItemsSection({
  device,
  shares,
  volumes,
  onChanged,
}: {
  device: Device;
  shares: Share[];
  volumes: Volume[];
  onChanged(): void;
}) {
  const styles = useStyles();
  const [open, setOpen] = useState<Open>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const kind: ItemKind = device.type === 'file' ? 'share' : 'volume';
  const plural = kind === 'share' ? 'shares' : 'volumes';
  const usable = device.status === 'online' || device.status === 'offline';
  const close = (changed: boolean) => {
    setOpen(null);
    if (changed) onChanged();
  };
  const online = async (name: string) => {
    setError(null);
    const r = await call(kind === 'share' ? 'shares.online' : 'volumes.online', { device: device.name, name });
    if (r.ok) onChanged();
    else setError(r.error);
  };
  const editShare = open?.what === 'edit' && kind === 'share' ? shares.find((s) => s.name === open.name) : undefined;
  const editVolume = open?.what === 'edit' && kind === 'volume' ? volumes.find((v) => v.name === open.name) : undefined;
  // Each button's name starts with its visible words (then the item), so a voice-control user saying what they see matches.
  const rowActions = (name: string, isOnline: boolean, editLabel: string) => (
    <div className={styles.actions}>
      <Button
        size="small"
        icon={<EditRegular />}
        onClick={() => setOpen({ what: 'edit', name })}
        disabled={!usable}
        aria-label={`${editLabel}: ${name}`}
      >
        {editLabel}
      </Button>
      {isOnline ? (
        <Button
          size="small"
          icon={<PlugDisconnectedRegular />}
          onClick={() => setOpen({ what: 'offline', name })}
          disabled={!usable}
          aria-label={`Take offline: ${name}`}
        >
          Take offline
        </Button>
      ) : (
        <Button
          size="small"
          icon={<PlugConnectedRegular />}
          onClick={() => online(name)}
          disabled={!usable}
          aria-label={`Bring online: ${name}`}
        >
          Bring online
        </Button>
      )}
      <Button
        size="small"
        icon={<DeleteRegular />}
        onClick={() => setOpen({ what: 'delete', name })}
        disabled={!usable}
        aria-label={`Delete: ${name}`}
      >
        Delete
      </Button>
    </div>
  );

  return (
    <>
      <div className={styles.head}>
        <Text weight="semibold" size={400} as="h2" id="items-title">
          {kind === 'share' ? 'Shares' : 'Volumes'}
        </Text>
        <Button icon={<AddRegular />} onClick={() => setOpen({ what: 'add' })} disabled={device.status !== 'online'}>
          {kind === 'share' ? 'Add share' : 'Add volume'}
        </Button>
      </div>
      <ErrorBar error={error} onDismiss={() => setError(null)} />
      {(kind === 'share' ? shares.length : volumes.length) === 0 ? (
        <Text className={styles.muted}>
          {device.status === 'online'
            ? `No ${plural} yet. Add one: it is a ${kind === 'share' ? 'folder' : 'sparse image file'} under the data root.`
            : device.status === 'ready-to-set-up'
              ? `Register the device to add ${plural}.`
              : `No ${plural}.`}
        </Text>
      ) : kind === 'share' ? (
        <Table aria-labelledby="items-title" size="small">
          <ColumnHeader columns={SHARE_COLUMNS} />
          <TableBody>
            {shares.map((s) => (
              <TableRow key={s.id} data-share={s.name} data-online={s.online}>
                <TableCell>
                  <Text weight="semibold">{s.name}</Text>
                  {s.description && (
                    <Text block size={200} className={styles.muted}>
                      {s.description}
                    </Text>
                  )}
                  <Text block className={styles.mono}>
                    {s.path}
                  </Text>
                </TableCell>
                <TableCell>{TIER_LABEL[s.tier]}</TableCell>
                <TableCell data-testid="share-usage" data-over-quota={s.overQuota}>
                  <ProgressBar
                    value={Math.min(1, s.quota ? s.used / s.quota : 0)}
                    color={s.overQuota ? 'error' : 'brand'}
                    aria-label={`${s.name}: ${formatBytes(s.used)} of ${formatBytes(s.quota)}`}
                  />
                  <Text size={200} className={s.overQuota ? styles.over : undefined}>
                    {formatBytes(s.used)} / {formatBytes(s.quota)}
                    {s.overQuota ? ' — over quota' : ''}
                  </Text>
                </TableCell>
                <TableCell>
                  <OnlineBadge online={s.online} />
                </TableCell>
                <TableCell>{s.users.length ? s.users.join(', ') : '—'}</TableCell>
                <TableCell>{rowActions(s.name, s.online, 'Edit')}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : (
        <Table aria-labelledby="items-title" size="small">
          <ColumnHeader columns={VOLUME_COLUMNS} />
          <TableBody>
            {volumes.map((v) => (
              <TableRow key={v.id} data-volume={v.name} data-online={v.online}>
                <TableCell>
                  <Text weight="semibold">{v.name}</Text>
                  <Text block className={styles.mono}>
                    {v.path}
                  </Text>
                </TableCell>
                <TableCell>
                  {TIER_LABEL[v.tier]}
                  <Text block size={200} className={styles.muted}>
                    {v.type === 'archival' ? 'Archival' : 'General purpose'}
                  </Text>
                </TableCell>
                <TableCell>
                  {formatBytes(v.allocated)} / {formatBytes(v.size)}
                </TableCell>
                <TableCell>
                  <OnlineBadge online={v.online} />
                </TableCell>
                <TableCell>
                  <div data-testid="volume-acrs">
                    {v.acrs.length ? (
                      v.acrs.map((a) => (
                        <Text key={a.iqn} block className={styles.mono}>
                          {a.iqn}
                        </Text>
                      ))
                    ) : (
                      <Text className={styles.muted}>none</Text>
                    )}
                  </div>
                  <Text size={200} className={styles.muted}>
                    CHAP: <span data-testid="volume-chap">{v.chapUser ?? 'Off'}</span>
                  </Text>
                </TableCell>
                <TableCell>{rowActions(v.name, v.online, 'Edit access')}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {open?.what === 'add' && kind === 'share' && (
        <ShareDialog device={device.name} share={null} onClose={(s) => close(s !== null)} />
      )}
      {open?.what === 'add' && kind === 'volume' && (
        <VolumeDialog device={device.name} volume={null} onClose={(v) => close(v !== null)} />
      )}
      {editShare && <ShareDialog device={device.name} share={editShare} onClose={(s) => close(s !== null)} />}
      {editVolume && <VolumeDialog device={device.name} volume={editVolume} onClose={(v) => close(v !== null)} />}
      {open?.what === 'offline' && <OfflineDialog kind={kind} device={device.name} name={open.name} onClose={close} />}
      {open?.what === 'delete' && (
        <DeleteItemDialog kind={kind} device={device.name} name={open.name} onClose={close} />
      )}
    </>
  );
}
