/**
 * Create a volume (name, size, tier, type, ACRs, optional CHAP) or edit one's ACRs and CHAP. The CHAP secret is
 * typed hidden (Show reveals it) and never shown back; the engine's refusal wins over the local checks.
 */
import { Button, Field, Input, Radio, RadioGroup, Select } from '@fluentui/react-components';
import { EyeOffRegular, EyeRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { fieldState } from '../wizard/machine';
import { AcrEditor } from './AcrEditor';
import type { Volume } from './labels';
import { HintBar } from '../ui/Notice';
import { chapSecretProblem, iqnProblem, itemNameProblem, shownField, sizeProblem } from './validation';
import { FormDialog } from '../ui/FormDialog';

type Chap = 'keep' | 'set' | 'off';

export function VolumeDialog({
  device,
  volume,
  onClose,
}: {
  device: string;
  volume: Volume | null;
  onClose(saved: Volume | null): void;
}) {
  const editing = volume !== null;
  const [name, setName] = useState(volume?.name ?? '');
  const [size, setSize] = useState('');
  const [pinned, setPinned] = useState(false);
  const [type, setType] = useState<'general' | 'archival'>('general');
  const [acrs, setAcrs] = useState<string[]>(volume?.acrs.map((a) => a.iqn) ?? []);
  const [chap, setChap] = useState<Chap>(editing ? 'keep' : 'off');
  const [chapUser, setChapUser] = useState(volume?.chapUser ?? '');
  const [chapSecret, setChapSecret] = useState('');
  const [reveal, setReveal] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const named = shownField(error, [
    ...(editing ? [] : ['name', 'size']),
    'acr',
    ...(chap === 'set' ? ['chapUser', 'chapSecret'] : []),
  ]);
  const local: Record<string, string | null> = {
    name: editing ? null : itemNameProblem(name, 'volume'),
    size: editing ? null : sizeProblem(size, 'size'),
    acr: acrs.map(iqnProblem).find(Boolean) ?? null,
    chapUser: chap === 'set' && !chapUser.trim() ? 'Enter the CHAP user name.' : null,
    chapSecret: chap === 'set' ? chapSecretProblem(chapSecret) : null,
  };
  // The engine names fields as the CLI does (acr, chapUser, chapSecret, size, name); its message wins.
  const shown = (field: string) => (named === field ? error!.message : tried ? local[field] : null);
  const clear = () => setError(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (Object.values(local).some(Boolean)) return;
    setBusy(true);
    setError(null);
    const chapInput = chap === 'set' ? { chapUser: chapUser.trim(), chapSecret } : {};
    const r = editing
      ? await call('volumes.edit', { device, name: volume.name, acr: acrs, ...chapInput, noChap: chap === 'off' })
      : await call('volumes.create', {
          device,
          name: name.trim(),
          size: size.trim(),
          pinned,
          type,
          acr: acrs,
          ...chapInput,
        });
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };

  return (
    <FormDialog
      title={editing ? `Access to “${volume.name}”` : 'Add a volume'}
      label={editing ? `Edit the volume ${volume.name}` : 'Add a volume'}
      testId="volume-dialog"
      busy={busy}
      primary={editing ? 'Save' : 'Create'}
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      {error && !named && <ErrorBar error={error} alert testId="volume-error" />}
      {error && named && <HintBar hint={error.hint} testId="volume-error" />}
      {!editing && (
        <>
          <Field label="Volume name" required {...fieldState(shown('name'))}>
            <Input
              value={name}
              onChange={(_, v) => (setName(v.value), clear())}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          <Field
            label="Size"
            required
            {...fieldState(shown('size'))}
            hint="Provisioned size, e.g. 1 GiB. The image is sparse: it only uses what is written."
          >
            <Input
              value={size}
              onChange={(_, v) => (setSize(v.value), clear())}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          <RadioGroup
            aria-label="Tier"
            value={pinned ? 'locally-pinned' : 'tiered'}
            onChange={(_, v) => setPinned(v.value === 'locally-pinned')}
            layout="horizontal"
          >
            <Radio value="tiered" label="Tiered" />
            <Radio value="locally-pinned" label="Locally pinned" />
          </RadioGroup>
          <Field label="Usage type">
            <Select value={type} onChange={(_, v) => setType(v.value as 'general' | 'archival')}>
              <option value="general">General purpose</option>
              <option value="archival">Archival (less frequently accessed data)</option>
            </Select>
          </Field>
        </>
      )}
      <AcrEditor acrs={acrs} onChange={(a) => (setAcrs(a), clear())} problem={shown('acr')} />
      <RadioGroup
        aria-label="CHAP authentication"
        value={chap}
        onChange={(_, v) => (setChap(v.value as Chap), clear())}
      >
        {editing && (
          <Radio value="keep" label={volume.chapUser ? `Keep CHAP (user ${volume.chapUser})` : 'Keep: no CHAP'} />
        )}
        <Radio value="off" label={editing ? 'No CHAP' : 'No CHAP authentication'} />
        <Radio value="set" label={editing ? 'Set CHAP user and secret' : 'CHAP authentication'} />
      </RadioGroup>
      {chap === 'set' && (
        <>
          <Field label="CHAP user name" required {...fieldState(shown('chapUser'))}>
            <Input
              value={chapUser}
              onChange={(_, v) => (setChapUser(v.value), clear())}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          <Field
            label="CHAP secret"
            required
            {...fieldState(shown('chapSecret'))}
            hint="12 to 16 characters. Lifeboat keeps it encrypted and never shows it again."
          >
            <Input
              type={reveal ? 'text' : 'password'}
              value={chapSecret}
              onChange={(_, v) => (setChapSecret(v.value), clear())}
              autoComplete="new-password"
              spellCheck={false}
              contentAfter={
                <Button
                  size="small"
                  appearance="transparent"
                  icon={reveal ? <EyeOffRegular /> : <EyeRegular />}
                  aria-label={reveal ? 'Hide the CHAP secret' : 'Show the CHAP secret'}
                  aria-pressed={reveal}
                  onClick={() => setReveal((r) => !r)}
                />
              }
            />
          </Field>
        </>
      )}
    </FormDialog>
  );
}
