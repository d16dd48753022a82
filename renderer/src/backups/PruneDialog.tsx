/**
 * Prune a storage account (`backups.prune`): choose the keep rules and the repack threshold, preview what a dry run
 * would keep, remove and free (the engine's dry run plans the packs as the real prune does), then prune after an
 * explicit confirmation, and show what it freed. Prune is only offered for the settings the shown preview used:
 * changing any of them asks for a new preview first.
 */
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { EyeRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { Backup, CallOutput, ErrorInfo, StorageAccount } from '../api/types';
import { formatBytes } from '../format';
import { ErrorBar } from '../ui/ErrorBar';
import { DialogFrame, PrimaryButton } from '../ui/FormDialog';
import { useSectionStyles } from '../ui/Page';
import { placesForCommands } from '../ui/screen-errors';
import { fieldState } from '../wizard/machine';
import { PrunePlanTable } from './PrunePlanTable';
import { DEFAULT_FORM, RULES, pruneInput, pruneProblems, type PruneForm, type PruneInput } from './pruneForm';

export type PruneResult = CallOutput<'backups.prune'>;

const useStyles = makeStyles({
  rules: {
    display: 'grid',
    gridTemplateColumns: 'repeat(2, minmax(0, 1fr))',
    gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`,
    alignItems: 'start',
  },
  input: { width: '100%', minWidth: 0 },
  rulesError: { color: tokens.colorPaletteRedForeground1 },
  row: { display: 'flex', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', flexWrap: 'wrap' },
});

type Stage = 'form' | 'confirm' | 'done';
interface Preview {
  key: string;
  result: PruneResult;
  backups: Backup[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function PruneDialog({
  accounts,
  account: initialAccount,
  onPruned,
  onClose,
}: {
  accounts: StorageAccount[];
  account: string | null;
  /** Called as soon as a prune succeeded, so the page can refresh its list behind the dialog. */
  onPruned(result: PruneResult): void;
  onClose(): void;
}) {
  const styles = useStyles();
  const section = useSectionStyles();
  const [form, setForm] = useState<PruneForm>({ account: initialAccount ?? accounts[0]?.name ?? '', ...DEFAULT_FORM });
  const [tried, setTried] = useState(false);
  const [stage, setStage] = useState<Stage>('form');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [done, setDone] = useState<PruneResult | null>(null);

  const problems = pruneProblems(form);
  const input = pruneInput(form);
  const key = input ? JSON.stringify(input) : null;
  // A preview counts only for the settings it ran with.
  const current = preview && preview.key === key ? preview : null;

  const set = (field: keyof PruneForm, value: string) => {
    setError(null);
    setForm((f) => ({ ...f, [field]: value }));
  };

  const runPreview = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setTried(true);
    if (!input || !key) return;
    setBusy(true);
    setError(null);
    // The dry run says which ids go; the catalog says what each is (date, label, sources) to show them by.
    const [r, list] = await Promise.all([
      call('backups.prune', { ...input, dryRun: true }),
      call('backups.list', { account: input.account }),
    ]);
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setPreview({ key, result: r.value, backups: list.ok ? list.value : [] });
  };

  const prune = async (inputNow: PruneInput) => {
    setBusy(true);
    setError(null);
    const r = await call('backups.prune', { ...inputNow, dryRun: false });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setDone(r.value);
    setStage('done');
    onPruned(r.value);
  };

  const close = () => !busy && onClose();
  const account = accounts.find((a) => a.name === form.account);

  const frame = {
    label: 'Prune backups',
    testId: 'prune-dialog',
    busy,
    onDismiss: close,
    width: 820,
    data: { 'data-stage': stage },
  } as const;

  if (stage === 'confirm' && current && input) {
    const removed = current.result.removed.length;
    const actions = (
      <>
        <Button onClick={() => (setError(null), setStage('form'))} disabled={busy}>
          Back
        </Button>
        <PrimaryButton busy={busy} disabled={removed > 0 && !understood} onClick={() => void prune(input)}>
          {removed ? `Delete ${plural(removed, 'backup')} and prune` : 'Prune'}
        </PrimaryButton>
      </>
    );
    return (
      <DialogFrame {...frame} title={`Prune “${input.account}” permanently?`} modalType="alert" actions={actions}>
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>This cannot be undone.</MessageBarTitle>
            {removed
              ? `${plural(removed, 'backup is', 'backups are')} deleted permanently: they can no longer be restored.`
              : 'No backup is deleted.'}{' '}
            {current.result.damaged.length
              ? 'No data is freed while a backup of the account cannot be read.'
              : `The data no remaining backup uses is deleted from the storage account (the preview: ${formatBytes(current.result.bytesFreed)} freed).`}
          </MessageBarBody>
        </MessageBar>
        {removed > 0 && (
          <PrunePlanTable
            backups={current.backups}
            kept={[]}
            removed={current.result.removed}
            label={`Backups deleted from ${input.account}`}
          />
        )}
        <Text>
          {plural(current.result.kept.length, 'backup is', 'backups are')} kept. Backups taken since the preview are
          kept or deleted by the same rules.
        </Text>
        <ErrorBar error={error} alert testId="prune-error" />
        {removed > 0 && (
          <Checkbox
            checked={understood}
            onChange={(_, d) => setUnderstood(d.checked === true)}
            label={`I understand that ${plural(removed, 'backup is', 'backups are')} deleted permanently`}
          />
        )}
      </DialogFrame>
    );
  }

  if (stage === 'done' && done) {
    const actions = (
      <Button appearance="primary" onClick={onClose}>
        Close
      </Button>
    );
    return (
      <DialogFrame {...frame} title={`Pruned “${done.account}”`} actions={actions}>
        <PruneOutcome result={done} />
      </DialogFrame>
    );
  }

  const actions = (
    <>
      <Button onClick={close} disabled={busy}>
        Cancel
      </Button>
      <Button type="submit" disabled={busy} icon={busy ? <Spinner size="tiny" /> : <EyeRegular />}>
        Preview
      </Button>
      <Button
        appearance="primary"
        disabled={busy || !current}
        onClick={() => (setUnderstood(false), setError(null), setStage('confirm'))}
      >
        Prune…
      </Button>
    </>
  );
  return (
    <DialogFrame {...frame} title="Prune backups" onSubmit={runPreview} actions={actions}>
      <Text>
        Keeps the backups the rules below name, deletes the others from the storage account, then frees the data no
        remaining backup uses. Each set of sources (e.g. the same folder) is counted on its own. Preview first: nothing
        is deleted until you confirm.
      </Text>
      <ErrorBar error={error} alert testId="prune-error" />
      <Field
        label="Storage account"
        required
        {...fieldState(tried && !form.account ? 'Choose a storage account.' : null)}
      >
        <Select value={form.account} onChange={(_, v) => set('account', v.value)}>
          {!account && <option value="">Choose a storage account</option>}
          {accounts.map((a) => (
            <option key={a.id} value={a.name}>
              {a.name} ({plural(a.backups, 'backup')})
            </option>
          ))}
        </Select>
      </Field>
      <div
        className={styles.rules}
        role="group"
        aria-label="Keep rules"
        aria-describedby={tried && problems.rules ? 'prune-rules-error' : undefined}
      >
        {RULES.map((r) => (
          <Field
            key={r.key}
            label={`${r.label} (${r.unit})`}
            hint={r.hint}
            {...fieldState(tried ? problems[r.key] : null)}
          >
            <Input
              className={styles.input}
              value={form[r.key]}
              onChange={(_, v) => set(r.key, v.value)}
              inputMode="numeric"
              autoComplete="off"
            />
          </Field>
        ))}
      </div>
      {tried && problems.rules && (
        <Text id="prune-rules-error" role="alert" className={styles.rulesError}>
          {problems.rules}
        </Text>
      )}
      <Field
        label="Repack packs more than this % unused"
        hint="Packs whose unused share is above this are rewritten to free it; below, they are kept whole (rewriting most of a pack to free little costs more than it saves). 100: never repack."
        {...fieldState(tried ? problems.maxUnused : null)}
      >
        <Input
          value={form.maxUnused}
          onChange={(_, v) => set('maxUnused', v.value)}
          inputMode="decimal"
          autoComplete="off"
          contentAfter={<Text>%</Text>}
          style={{ width: 160, minWidth: 0 }}
        />
      </Field>
      {current ? (
        <PreviewSummary preview={current} />
      ) : (
        preview && (
          <Text className={section.muted} data-testid="prune-preview-stale">
            The settings changed since the preview: preview again to see what they keep.
          </Text>
        )
      )}
    </DialogFrame>
  );
}

/**
 * What the dry run would do: the counts, the space it would free and the packs it would touch (the engine plans the
 * packs exactly as the real prune does), why no data would be freed when a backup cannot be read, then every backup
 * of the account marked kept or removed.
 */
function PreviewSummary({ preview }: { preview: Preview }) {
  const section = useSectionStyles();
  const { result, backups } = preview;
  const damaged = result.damaged.length > 0;
  return (
    <section
      aria-label="Preview"
      data-testid="prune-preview"
      style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
    >
      <MessageBar intent={damaged ? 'warning' : result.removed.length ? 'info' : 'success'} layout="multiline">
        <MessageBarBody>
          <MessageBarTitle data-testid="prune-preview-counts">
            Keeps {plural(result.kept.length, 'backup')}, removes {plural(result.removed.length, 'backup')}
          </MessageBarTitle>
          {damaged ? (
            'No data would be freed: see below.'
          ) : (
            <>
              Would free{' '}
              <span data-testid="prune-preview-freed" data-bytes={result.bytesFreed}>
                {formatBytes(result.bytesFreed)}
              </span>
              {result.packsDeleted + result.packsPartlyUsed > 0 ? ': ' : '.'}
              <span
                data-testid="prune-preview-packs"
                data-packs-deleted={result.packsDeleted}
                data-packs-repacked={result.packsRepacked}
              >
                {packPlan(result)}
              </span>
            </>
          )}
        </MessageBarBody>
      </MessageBar>
      {damaged && <DamagedBackups result={result} />}
      {result.kept.length + result.removed.length > 0 ? (
        <PrunePlanTable
          backups={backups}
          kept={result.kept}
          removed={result.removed}
          label="What the prune keeps and removes"
        />
      ) : (
        !damaged && <Text className={section.muted}>The account holds no backups.</Text>
      )}
    </section>
  );
}

/** The dry run's pack figures in words; the bytes freed are net of what repacking would write. */
function packPlan(result: PruneResult): string {
  const parts: string[] = [];
  const wholeDeleted = result.packsDeleted - result.packsRepacked;
  if (wholeDeleted > 0) parts.push(`${plural(wholeDeleted, 'pack')} no kept backup uses deleted`);
  if (result.packsRepacked > 0)
    parts.push(
      `${plural(result.packsRepacked, 'pack')} more than ${result.maxUnused}% unused or small repacked (their live data rewritten into about ${formatBytes(result.bytesRepacked)})`,
    );
  if (result.packsPartlyUsed > 0)
    parts.push(`${plural(result.packsPartlyUsed, 'pack')} at or under ${result.maxUnused}% unused kept whole`);
  return parts.length ? `${parts.join('; ')}.` : '';
}

/** The engine's notice (what stopped the data being freed and what to do) and each backup it could not read. */
function DamagedBackups({ result }: { result: PruneResult }) {
  const section = useSectionStyles();
  return (
    <MessageBar intent="warning" layout="multiline" data-testid="prune-damaged">
      <MessageBarBody>
        <MessageBarTitle>{plural(result.damaged.length, 'backup')} cannot be read</MessageBarTitle>
        {result.notice && placesForCommands(result.notice)}
        <ul style={{ margin: '4px 0 0', paddingLeft: 20 }}>
          {result.damaged.map((d) => (
            <li key={d.id} data-damaged-backup-id={d.id}>
              <span className={section.mono}>{d.id}</span>: {d.message}
            </li>
          ))}
        </ul>
      </MessageBarBody>
    </MessageBar>
  );
}

/** The engine's result: backups removed, space freed net of what repacking wrote, and the packs it touched. */
function PruneOutcome({ result }: { result: PruneResult }) {
  const section = useSectionStyles();
  return (
    <>
      <MessageBar intent={result.damaged.length ? 'warning' : 'success'}>
        <MessageBarBody>
          <MessageBarTitle>
            Removed {plural(result.removed.length, 'backup')}, freed {formatBytes(result.bytesFreed)}
          </MessageBarTitle>
        </MessageBarBody>
      </MessageBar>
      {result.damaged.length > 0 && <DamagedBackups result={result} />}
      <dl className={section.dl} data-testid="prune-result">
        <dt>Backups removed</dt>
        <dd className={section.dd} data-testid="prune-removed">
          {result.removed.length}
        </dd>
        <dt>Backups kept</dt>
        <dd className={section.dd} data-testid="prune-kept">
          {result.kept.length}
        </dd>
        <dt>Space freed</dt>
        <dd className={section.dd} data-testid="prune-freed" data-bytes={result.bytesFreed}>
          {formatBytes(result.bytesFreed)}
        </dd>
        <dt>Packs deleted</dt>
        <dd className={section.dd} data-testid="prune-packs-deleted">
          {result.packsDeleted}
        </dd>
        <dt>Packs repacked</dt>
        <dd className={section.dd} data-testid="prune-packs-repacked">
          {result.packsRepacked}
          {result.packsRepacked > 0 &&
            ` (their live data rewritten into ${formatBytes(result.bytesRepacked)} of new packs)`}
        </dd>
        <dt>Packs kept partly unused</dt>
        <dd className={section.dd}>
          {result.packsPartlyUsed} (at or under {result.maxUnused}% unused)
        </dd>
      </dl>
    </>
  );
}
