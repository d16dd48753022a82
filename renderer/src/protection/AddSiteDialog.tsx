/**
 * Add a recovery site: a folder on this machine, or a site agent on another host paired with the one-time key that
 * `lifeboat agent serve` printed. A wrong key, an agent that does not answer and a bad address are shown next to the
 * field to change, with what to do.
 */
import { Field, Input, Radio, RadioGroup, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { absolutePathProblem } from '../accounts/validation';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { fieldState } from '../wizard/machine';
import { FormDialog } from '../ui/FormDialog';
import type { SiteInfo } from './labels';
import { agentAddressProblem, flagField, nameProblem, pairingKeyProblem, withoutFlag } from './validation';

const useStyles = makeStyles({
  hint: { color: tokens.colorNeutralForeground2 },
});

type Kind = 'local' | 'agent';

const FIELDS = ['name', 'root', 'agent', 'pairingKey'] as const;
type FieldName = (typeof FIELDS)[number];

/** The field an engine refusal is about: the one it names; an agent that cannot be reached is its address's, a refused pairing its key's. */
export function siteRefusalField(error: ErrorInfo): FieldName | null {
  const named = flagField(error.message, FIELDS);
  if (named) return named;
  if (error.code === 'unavailable') return 'agent';
  if (error.code === 'forbidden' && /pairing key/i.test(error.message)) return 'pairingKey';
  if (error.code === 'already_exists') return 'name';
  return null;
}

export function AddSiteDialog({ onClose }: { onClose(site: SiteInfo | null): void }) {
  const styles = useStyles();
  const [kind, setKind] = useState<Kind>('local');
  const [form, setForm] = useState<Record<FieldName, string>>({ name: '', root: '', agent: '', pairingKey: '' });
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const problems: Partial<Record<FieldName, string>> = {
    name: nameProblem(form.name, 'site', 50),
    ...(kind === 'local'
      ? { root: absolutePathProblem(form.root) ?? undefined }
      : { agent: agentAddressProblem(form.agent), pairingKey: pairingKeyProblem(form.pairingKey) }),
  };
  const refused = error ? siteRefusalField(error) : null;
  const set = (f: FieldName) => (_: unknown, v: { value: string }) => {
    setForm((old) => ({ ...old, [f]: v.value }));
    if (refused === f) setError(null);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (Object.values(problems).some(Boolean) || busy) return;
    setBusy(true);
    setError(null);
    const input =
      kind === 'local'
        ? { name: form.name.trim(), root: form.root.trim() }
        : { name: form.name.trim(), agent: form.agent.trim(), pairingKey: form.pairingKey.trim() };
    const r = await call('sites.add', input);
    setBusy(false);
    if (r.ok) onClose(r.value);
    else setError(r.error);
  };
  const shown = (f: FieldName) =>
    refused === f && error ? withoutFlag(error.message) : tried ? problems[f] : undefined;
  const text = (f: FieldName, label: string, placeholder: string, hint: string) => (
    <Field label={label} required {...fieldState(shown(f))} hint={hint} data-field={f}>
      <Input value={form[f]} onChange={set(f)} autoComplete="off" spellCheck={false} placeholder={placeholder} />
    </Field>
  );
  return (
    <FormDialog
      title="Add a recovery site"
      testId="add-site-dialog"
      busy={busy}
      primary="Add site"
      onSubmit={(e) => void submit(e)}
      onCancel={() => onClose(null)}
    >
      <RadioGroup
        value={kind}
        onChange={(_, d) => {
          setKind(d.value as Kind);
          setError(null);
        }}
        aria-label="Where the site is"
      >
        <Radio value="local" label="A folder on this machine (a disk, a NAS mount)" />
        <Radio value="agent" label="A site agent on another host" />
      </RadioGroup>
      {text('name', 'Site name', 'dr', 'How items, the CLI and the console name the site.')}
      {kind === 'local' ? (
        <>
          <Text className={styles.hint}>
            The folder holds the replicas of protected items and their recovery points. It must be empty or not exist
            yet.
          </Text>
          {text(
            'root',
            'Root folder',
            '/srv/lifeboat-dr',
            'An absolute path; its free space bounds what the site can hold.',
          )}
        </>
      ) : (
        <>
          <Text className={styles.hint}>
            On the recovery host, run <code>lifeboat agent serve --root DIR --listen HOST:PORT</code>: it prints its
            address and a one-time pairing key. Pairing pins the agent&apos;s certificate; only this installation can
            use the agent afterwards.
          </Text>
          {text('agent', 'Agent address', 'https://10.0.0.5:8443', 'The https://HOST:PORT address the agent printed.')}
          {text(
            'pairingKey',
            'Pairing key',
            'XXXXXX-XXXXXX-XXXXXX-XXXXXX',
            'Four groups of six letters and digits; a key pairs once.',
          )}
        </>
      )}
      {error && !refused && <ErrorBar error={error} alert testId="add-site-error" />}
      {error && refused && error.hint && (
        <Text role="alert" data-testid="add-site-hint">
          {error.hint}
        </Text>
      )}
    </FormDialog>
  );
}
