/**
 * Create or edit a recovery plan in one dialog: its name and description, then its steps in order. A group lists the
 * protected items it brings up together (an item already in another group is not offered); script and manual actions
 * sit between groups. Items not yet in a group show as chips; an item is dragged (native HTML5 drag and drop, see
 * drag.ts) from there or from a group into another group or onto "new group", and a step is dragged by its handle to
 * a new place, with a drop indicator. Move up / Move down do the same for the keyboard; each move is announced in an
 * aria-live region. Save sends the steps as the engine's step lines; its refusal (an unknown item, an item in two
 * groups) shows in place.
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
import {
  AddRegular,
  ArrowDownRegular,
  ArrowUpRegular,
  DeleteRegular,
  ReOrderDotsVerticalRegular,
} from '@fluentui/react-icons';
import { useState, type DragEvent, type FormEvent } from 'react';
import { call } from '../api/client';
import { useQuery } from '../api/query';
import type { ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { useSectionStyles } from '../ui/Page';
import {
  announceItem,
  announceStep,
  ITEM_TYPE,
  placeItem,
  reorder,
  STEP_TYPE,
  type DropAt,
  type Dragged,
} from './drag';
import { draftOf, draftProblem, groupNumber, move, newKey, stepLines, type DraftStep, type PlanView } from './draft';

const useStyles = makeStyles({
  surface: { width: 'min(760px, calc(100vw - 32px))', maxWidth: 'none' },
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  steps: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
  },
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
  handle: {
    cursor: 'grab',
    padding: tokens.spacingVerticalXXS,
    color: tokens.colorNeutralForeground3,
    fontSize: '20px',
    display: 'flex',
  },
  into: { outline: `${tokens.strokeWidthThick} dashed ${tokens.colorBrandStroke1}`, outlineOffset: '2px' },
  before: { boxShadow: `0 -4px 0 0 ${tokens.colorBrandStroke1}` },
  after: { boxShadow: `0 4px 0 0 ${tokens.colorBrandStroke1}` },
  chips: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexWrap: 'wrap',
    gap: tokens.spacingHorizontalS,
  },
  chip: {
    cursor: 'grab',
    padding: `${tokens.spacingVerticalXXS} ${tokens.spacingHorizontalS}`,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusCircular,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  newGroup: {
    padding: tokens.spacingHorizontalM,
    border: `${tokens.strokeWidthThin} dashed ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
    color: tokens.colorNeutralForeground3,
  },
  add: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
  row: { display: 'grid', gridTemplateColumns: '1fr 120px', gap: tokens.spacingHorizontalM },
});

export function PlanEditor({ plan, onClose }: { plan: PlanView | null; onClose(saved: string | null): void }) {
  const styles = useStyles();
  const section = useSectionStyles();
  const [draft, setDraft] = useState(() => draftOf(plan));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [dragged, setDragged] = useState<Dragged | null>(null);
  const [over, setOver] = useState<DropAt | null>(null);
  const [said, setSaid] = useState('');
  const items = (useQuery('items.list', {}).data ?? []).map((i) => i.name);
  const setStep = (i: number, patch: Partial<DraftStep>) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? ({ ...s, ...patch } as DraftStep) : s)) }));
  const add = (step: DraftStep) => setDraft((d) => ({ ...d, steps: [...d.steps, step] }));
  const title = plan ? `Edit recovery plan ${plan.name}` : 'Create a recovery plan';
  const placed = new Set(draft.steps.flatMap((s) => (s.kind === 'group' ? s.items : [])));
  const unplaced = items.filter((n) => !placed.has(n));

  /** Moves with the arrow buttons and drops both change the steps and say what happened. */
  const change = (steps: DraftStep[], message: string) => {
    setDraft((d) => ({ ...d, steps }));
    setSaid(message);
  };
  const moveBy = (i: number, by: number) =>
    change(move(draft.steps, i, i + by), announceStep(move(draft.steps, i, i + by), draft.steps[i].key));
  const startDrag = (e: DragEvent, what: Dragged) => {
    e.stopPropagation();
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData(
      what.kind === 'item' ? ITEM_TYPE : STEP_TYPE,
      what.kind === 'item' ? what.name : String(what.key),
    );
    e.dataTransfer.setData('text/plain', what.kind === 'item' ? what.name : `step ${what.key}`);
    setDragged(what);
  };
  const endDrag = () => {
    setDragged(null);
    setOver(null);
  };
  /** Over a step: an item may go into a group; a step goes before or after, by which half the pointer is in. */
  const overStep = (e: DragEvent<HTMLElement>, s: DraftStep) => {
    if (dragged?.kind === 'item' && s.kind === 'group') {
      e.preventDefault();
      if (over?.kind !== 'group' || over.key !== s.key) setOver({ kind: 'group', key: s.key });
    } else if (dragged?.kind === 'step' && dragged.key !== s.key) {
      e.preventDefault();
      const r = e.currentTarget.getBoundingClientRect();
      const after = e.clientY > r.top + r.height / 2;
      if (over?.kind !== 'step' || over.key !== s.key || over.after !== after)
        setOver({ kind: 'step', key: s.key, after });
    }
  };
  const dropOn = (e: DragEvent, at: DropAt) => {
    e.preventDefault();
    if (dragged?.kind === 'item' && at.kind !== 'step') {
      const steps = placeItem(draft.steps, dragged.name, at.kind === 'group' ? at.key : 'new');
      change(steps, announceItem(steps, dragged.name));
    } else if (dragged?.kind === 'step' && at.kind === 'step') {
      const steps = reorder(draft.steps, dragged.key, at.key, at.after);
      change(steps, announceStep(steps, dragged.key));
    }
    endDrag();
  };
  const indicator = (s: DraftStep) => {
    if (over?.kind === 'group' && over.key === s.key) return styles.into;
    if (over?.kind === 'step' && over.key === s.key) return over.after ? styles.after : styles.before;
    return '';
  };

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
              <Text>
                Groups fail over in order; the items of a group fail over together. Script and manual actions run
                between groups.
              </Text>
              <Field label="Name" required>
                <Input
                  value={draft.name}
                  disabled={!!plan}
                  onChange={(_, v) => setDraft((d) => ({ ...d, name: v.value }))}
                />
              </Field>
              <Field label="Description">
                <Input
                  value={draft.description}
                  onChange={(_, v) => setDraft((d) => ({ ...d, description: v.value }))}
                />
              </Field>
              {unplaced.length > 0 && (
                <Field
                  label="Items not in a group"
                  hint="Drag an item into a group or onto New group, or tick it in a group."
                >
                  <ul className={styles.chips} aria-label="Items not in a group" data-testid="plan-unplaced">
                    {unplaced.map((n) => (
                      <li
                        key={n}
                        className={styles.chip}
                        draggable
                        data-testid={`plan-item-${n}`}
                        onDragStart={(e) => startDrag(e, { kind: 'item', name: n })}
                        onDragEnd={endDrag}
                      >
                        {n}
                      </li>
                    ))}
                  </ul>
                </Field>
              )}
              <ol className={styles.steps} aria-label="Steps of the plan">
                {draft.steps.map((s, i) => {
                  const taken = new Set(draft.steps.flatMap((o, j) => (o.kind === 'group' && j !== i ? o.items : [])));
                  return (
                    <li
                      key={s.key}
                      className={`${styles.step} ${s.kind === 'group' ? styles.group : ''} ${indicator(s)}`}
                      data-testid={`plan-step-${i + 1}`}
                      data-kind={s.kind}
                      data-drop={
                        indicator(s) ? (over?.kind === 'step' ? (over.after ? 'after' : 'before') : 'into') : undefined
                      }
                      onDragOver={(e) => overStep(e, s)}
                      onDrop={(e) => dropOn(e, over ?? { kind: 'group', key: s.key })}
                    >
                      <StepFields
                        step={s}
                        index={i}
                        steps={draft.steps}
                        items={items.filter((n) => !taken.has(n))}
                        set={(p) => setStep(i, p)}
                        drag={(e, name) => startDrag(e, { kind: 'item', name })}
                        endDrag={endDrag}
                      />
                      <div className={styles.tools}>
                        <span
                          className={styles.handle}
                          draggable
                          title="Drag to move this step"
                          data-testid={`plan-step-handle-${i + 1}`}
                          onDragStart={(e) => startDrag(e, { kind: 'step', key: s.key })}
                          onDragEnd={endDrag}
                        >
                          <ReOrderDotsVerticalRegular aria-hidden />
                        </span>
                        <Button
                          size="small"
                          icon={<ArrowUpRegular />}
                          aria-label={`Move step ${i + 1} up`}
                          disabled={i === 0}
                          onClick={() => moveBy(i, -1)}
                        />
                        <Button
                          size="small"
                          icon={<ArrowDownRegular />}
                          aria-label={`Move step ${i + 1} down`}
                          disabled={i === draft.steps.length - 1}
                          onClick={() => moveBy(i, 1)}
                        />
                        <Button
                          size="small"
                          icon={<DeleteRegular />}
                          aria-label={`Remove step ${i + 1}`}
                          onClick={() => setDraft((d) => ({ ...d, steps: d.steps.filter((_, j) => j !== i) }))}
                        />
                      </div>
                    </li>
                  );
                })}
              </ol>
              {items.length > 0 ? (
                <div
                  className={`${styles.newGroup} ${over?.kind === 'new-group' ? styles.into : ''}`}
                  data-testid="plan-new-group"
                  onDragOver={(e) => {
                    if (dragged?.kind !== 'item') return;
                    e.preventDefault();
                    if (over?.kind !== 'new-group') setOver({ kind: 'new-group' });
                  }}
                  onDrop={(e) => dropOn(e, { kind: 'new-group' })}
                >
                  New group: drop an item here
                </div>
              ) : null}
              <div className={styles.add}>
                <Button icon={<AddRegular />} onClick={() => add({ key: newKey(), kind: 'group', items: [] })}>
                  Add group
                </Button>
                <Button
                  icon={<AddRegular />}
                  onClick={() => add({ key: newKey(), kind: 'script', command: '', timeout: '5m' })}
                >
                  Add script action
                </Button>
                <Button icon={<AddRegular />} onClick={() => add({ key: newKey(), kind: 'manual', text: '' })}>
                  Add manual action
                </Button>
              </div>
              <ErrorBar error={error} alert />
              <div role="status" aria-live="polite" className={section.srOnly} data-testid="plan-announce">
                {said}
              </div>
            </DialogContent>
            <DialogActions>
              <Button onClick={() => onClose(null)} disabled={busy}>
                Cancel
              </Button>
              <Button
                appearance="primary"
                type="submit"
                disabled={busy}
                icon={busy ? <Spinner size="tiny" /> : undefined}
              >
                {plan ? 'Save' : 'Create plan'}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

interface StepProps {
  step: DraftStep;
  index: number;
  steps: DraftStep[];
  items: string[];
  set(p: Partial<DraftStep>): void;
  drag(e: DragEvent, name: string): void;
  endDrag(): void;
}

function StepFields({ step, index, steps, items, set, drag, endDrag }: StepProps) {
  const styles = useStyles();
  if (step.kind === 'group') {
    const offered = [...new Set([...step.items, ...items])].sort();
    return (
      // A labelled group, not a Field: a Field hands its one control id to every checkbox in it, so each label named the first.
      <div role="group" aria-label={`Group ${groupNumber(steps, index)}`} className={styles.content}>
        <Text weight="semibold">{`Group ${groupNumber(steps, index)}`}</Text>
        {offered.length ? null : (
          <Text size={200}>Every protected item is in another group; drag one here from another group.</Text>
        )}
        <div className={styles.items}>
          {offered.map((n) => (
            <span key={n} draggable data-item={n} onDragStart={(e) => drag(e, n)} onDragEnd={endDrag}>
              <Checkbox
                label={n}
                checked={step.items.includes(n)}
                onChange={(_, d) => set({ items: d.checked ? [...step.items, n] : step.items.filter((x) => x !== n) })}
              />
            </span>
          ))}
        </div>
      </div>
    );
  }
  if (step.kind === 'script')
    return (
      <div className={styles.row}>
        <Field label="Script action: command run at the recovery site">
          <Input
            value={step.command}
            placeholder="/opt/dr/update-dns.sh"
            onChange={(_, v) => set({ command: v.value })}
          />
        </Field>
        <Field label="Timeout">
          <Input value={step.timeout} onChange={(_, v) => set({ timeout: v.value })} />
        </Field>
      </div>
    );
  return (
    <Field label="Manual action: the run waits until someone confirms it">
      <Input
        value={step.text}
        placeholder="Check that the web site answers"
        onChange={(_, v) => set({ text: v.value })}
      />
    </Field>
  );
}
