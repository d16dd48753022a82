/**
 * What a backup holds, a folder at a time: the restore wizard's way to pick one file or folder without knowing its
 * path. Folders open on click; "Choose" restores that entry (and only its source).
 */
import {
  Breadcrumb,
  BreadcrumbButton,
  BreadcrumbDivider,
  BreadcrumbItem,
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
} from '@fluentui/react-components';
import { DocumentRegular, FolderRegular, LinkRegular } from '@fluentui/react-icons';
import { Fragment, useState } from 'react';
import type { Backup } from '../api/types';
import { useQuery } from '../api/query';
import { formatBytes, formatTime } from '../format';
import { ErrorBar } from '../ui/ErrorBar';

const ICON = { dir: <FolderRegular />, file: <DocumentRegular />, symlink: <LinkRegular /> };

export function BackupBrowser({ backup, onChoose }: { backup: Backup; onChoose(source: string, path: string): void }) {
  const trees = backup.sources.filter((s) => s.kind === 'tree').map((s) => s.name);
  const [source, setSource] = useState(trees[0] ?? '');
  const [folder, setFolder] = useState('');
  // A backup of images only has nothing to browse: its first source is listed (one image) but not shown.
  const listing = useQuery(
    'backups.files',
    { id: backup.id, source: source || undefined, path: folder, limit: 1000 },
    { reloadOnJob: () => false },
  );
  if (!trees.length) return <Text>This backup holds volume images only: each is restored whole.</Text>;
  const parts = folder ? folder.split('/') : [];
  const data = listing.data?.source === source && listing.data.path === folder ? listing.data : null;

  return (
    <div data-testid="backup-browser" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {trees.length > 1 && (
        <Field label="Source to browse">
          <Select
            value={source}
            onChange={(_, v) => {
              setSource(v.value);
              setFolder('');
            }}
          >
            {trees.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </Select>
        </Field>
      )}
      <Breadcrumb aria-label="Folder shown">
        <BreadcrumbItem>
          <BreadcrumbButton current={!parts.length} onClick={() => setFolder('')}>
            {source}
          </BreadcrumbButton>
        </BreadcrumbItem>
        {parts.map((p, i) => (
          <Fragment key={i}>
            <BreadcrumbDivider />
            <BreadcrumbItem>
              <BreadcrumbButton
                current={i === parts.length - 1}
                onClick={() => setFolder(parts.slice(0, i + 1).join('/'))}
              >
                {p}
              </BreadcrumbButton>
            </BreadcrumbItem>
          </Fragment>
        ))}
      </Breadcrumb>
      {folder && (
        <Button appearance="secondary" style={{ alignSelf: 'flex-start' }} onClick={() => onChoose(source, folder)}>
          Choose this folder
        </Button>
      )}
      <ErrorBar error={listing.error} />
      {!data && !listing.error && <Spinner size="small" label="Reading the backup…" />}
      {data && (
        <div style={{ maxHeight: 320, overflowY: 'auto' }}>
          <Table size="small" aria-label={`Contents of ${source}${folder ? `/${folder}` : ''}`}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell>Size</TableHeaderCell>
                <TableHeaderCell>Files</TableHeaderCell>
                <TableHeaderCell>Modified</TableHeaderCell>
                <TableHeaderCell>Restore</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {data.entries.map((e) => (
                <TableRow key={e.path} data-entry={e.path}>
                  <TableCell>
                    {e.type === 'dir' ? (
                      <Button
                        appearance="transparent"
                        icon={ICON.dir}
                        onClick={() => setFolder(e.path)}
                        aria-label={`Open ${e.name}`}
                      >
                        {e.name}
                      </Button>
                    ) : (
                      <span style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
                        {ICON[e.type]}
                        {e.name}
                      </span>
                    )}
                  </TableCell>
                  <TableCell>{formatBytes(e.size)}</TableCell>
                  <TableCell>{e.files}</TableCell>
                  <TableCell>{formatTime(e.modifiedAt)}</TableCell>
                  <TableCell>
                    <Button size="small" onClick={() => onChoose(source, e.path)} aria-label={`Choose ${e.path}`}>
                      Choose
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {data.total === 0 && <Text>This folder is empty.</Text>}
          {data.total > data.entries.length && (
            <Text size={200}>
              Showing {data.entries.length} of {data.total} entries: open a subfolder, or type the path.
            </Text>
          )}
        </div>
      )}
    </div>
  );
}
