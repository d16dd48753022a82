/**
 * Create or edit a recovery plan in one dialog: its name and description, then its steps in order. A group lists the
 * protected items it brings up together (an item already in another group is not offered); script and manual actions
 * sit between groups. Move up / Move down reorder steps (keyboard-friendly, no drag library needed). Save sends the
 * steps as the engine's step lines; its refusal (an unknown item, an item in two groups) shows in place.
 */
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { AddRegular, ArrowDownRegular, ArrowUpRegular, DeleteRegular } from '@fluentui/react-icons';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { draftOf, draftProblem, groupNumber, move, newKey, stepLines, type DraftStep, type PlanView } from './draft';

const useStyles = makeStyles({
  surface: { width: 'min(760px, calc(100vw - 32px))', maxWidth: 'none' },
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  steps: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  step: {
    display: 'grid',
    gridTemplateColumns: '1fr auto',
    gap: tokens.spacingHorizontalM,
    padding: tokens.spacingHorizontalM,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
  },
  group: { backgroundColor: tokens.colorNeutralBackground2 },
  items: { display: 'flex', flexWrap: 'wrap', columnGap: tokens.spacingHorizontalL },
  tools: { display: 'flex', alignItems: 'flex-start', gap: tokens.spacingHorizontalXS },
  add: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
  row: { display: 'grid', gridTemplateColumns: '1fr 120px', gap: tokens.spacingHorizontalM },
});

export function PlanEditor({ plan, onClose }: { plan: PlanView | null; onClose(saved: string | null): void }) {
  const styles = useStyles();
  const [draft, setDraft] = useState(() => draftOf(plan));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const items = (useQuery('items.list', {}).data ?? []).map((i) => i.name);
  const setStep = (i: number, patch: Partial<DraftStep>) => setDraft((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? ({ ...s, ...patch } as DraftStep) : s)) }));
  const add = (step: DraftStep) => setDraft((d) => ({ ...d, steps: [...d.steps, step] }));
  const title = plan ? `Edit recovery plan ${plan.name}` : 'Create a recovery plan';

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const problem = draftProblem(draft);
    if (problem) return setError({ code: 'invalid_input', message: problem });
    setBusy(true);
    setError(null);
    const input = { name: draft.name.trim(), description: draft.description, step: stepLines(draft.steps) };
    const r = plan ? await call('plans.edit', input) : await call('plans.create', input);
    setBusy(false);
    if (r.ok) onClose(r.value.name);
    else setError(r.error);
  };

  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && !busy && onClose(null)}>
      <DialogSurface aria-label={title} data-testid="plan-editor" className={styles.surface}>
        <form onSubmit={(e) => void save(e)} noValidate>
          <DialogBody>
            <DialogTitle>{title}</DialogTitle>
            <DialogContent className={styles.content}>
              <Text>Groups fail over in order; the items of a group fail over together. Script and manual actions run between groups.</Text>
              <Field label="Name" required>
                <Input value={draft.name} disabled={!!plan} onChange={(_, v) => setDraft((d) => ({ ...d, name: v.value }))} />
              </Field>
              <Field label="Description">
                <Input value={draft.description} onChange={(_, v) => setDraft((d) => ({ ...d, description: v.value }))} />
              </Field>
              <ol className={styles.steps} aria-label="Steps of the plan">
                {draft.steps.map((s, i) => {
                  const taken = new Set(draft.steps.flatMap((o, j) => (o.kind === 'group' && j !== i ? o.items : [])));
                  return (
                    <li key={s.key} className={`${styles.step} ${s.kind === 'group' ? styles.group : ''}`} data-testid={`plan-step-${i + 1}`} data-kind={s.kind}>
                      <StepFields step={s} index={i} steps={draft.steps} items={items.filter((n) => !taken.has(n))} set={(p) => setStep(i, p)} />
                      <div className={styles.tools}>
                        <Button size="small" icon={<ArrowUpRegular />} aria-label={`Move step ${i + 1} up`} disabled={i === 0} onClick={() => setDraft((d) => ({ ...d, steps: move(d.steps, i, i - 1) }))} />
                        <Button
                          size="small"
                          icon={<ArrowDownRegular />}
                          aria-label={`Move step ${i + 1} down`}
                          disabled={i === draft.steps.length - 1}
                          onClick={() => setDraft((d) => ({ ...d, steps: move(d.steps, i, i + 1) }))}
                        />
                        <Button size="small" icon={<DeleteRegular />} aria-label={`Remove step ${i + 1}`} onClick={() => setDraft((d) => ({ ...d, steps: d.steps.filter((_, j) => j !== i) }))} />
                      </div>
                    </li>
                  );
                })}
              </ol>
              <div className={styles.add}>
                <Button icon={<AddRegular />} onClick={() => add({ key: newKey(), kind: 'group', items: [] })}>
                  Add group
                </Button>
                <Button icon={<AddRegular />} onClick={() => add({ key: newKey(), kind: 'script', command: '', timeout: '5m' })}>
                  Add script action
                </Button>
                <Button icon={<AddRegular />} onClick={() => add({ key: newKey(), kind: 'manual', text: '' })}>
                  Add manual action
                </Button>
              </div>
              <ErrorBar error={error} alert />
            </DialogContent>
            <DialogActions>
              <Button onClick={() => onClose(null)} disabled={busy}>
                Cancel
              </Button>
              <Button appearance="primary" type="submit" disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
                {plan ? 'Save' : 'Create plan'}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

function StepFields({ step, index, steps, items, set }: { step: DraftStep; index: number; steps: DraftStep[]; items: string[]; set(p: Partial<DraftStep>): void }) {
  const styles = useStyles();
  if (step.kind === 'group') {
    const offered = [...new Set([...step.items, ...items])].sort();
    return (
      <Field label={`Group ${groupNumber(steps, index)}`} hint={offered.length ? undefined : 'Every protected item is in another group.'}>
        <div className={styles.items}>
          {offered.map((n) => (
            <Checkbox
              key={n}
              label={n}
              checked={step.items.includes(n)}
              onChange={(_, d) => set({ items: d.checked ? [...step.items, n] : step.items.filter((x) => x !== n) })}
            />
          ))}
        </div>
      </Field>
    );
  }
  if (step.kind === 'script')
    return (
      <div className={styles.row}>
        <Field label="Script action: command run at the recovery site">
          <Input value={step.command} placeholder="/opt/dr/update-dns.sh" onChange={(_, v) => set({ command: v.value })} />
        </Field>
        <Field label="Timeout">
          <Input value={step.timeout} onChange={(_, v) => set({ timeout: v.value })} />
        </Field>
      </div>
    );
  return (
    <Field label="Manual action: the run waits until someone confirms it">
      <Input value={step.text} placeholder="Check that the web site answers" onChange={(_, v) => set({ text: v.value })} />
    </Field>
  );
}
