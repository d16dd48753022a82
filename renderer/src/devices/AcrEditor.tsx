/** Access control records: the initiator IQNs allowed to connect to a volume, added one by one (checked) or removed. */
import { Button, Field, Input, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AddRegular, DeleteRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import { fieldState } from '../wizard/machine';
import { iqnProblem } from './validation';

const useStyles = makeStyles({
  row: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'flex-start' },
  grow: { flexGrow: 1 },
  list: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
  },
  item: {
    display: 'flex',
    gap: tokens.spacingHorizontalS,
    alignItems: 'center',
    fontFamily: tokens.fontFamilyMonospace,
    wordBreak: 'break-all',
  },
  muted: { color: tokens.colorNeutralForeground3 },
});

export function AcrEditor({
  acrs,
  onChange,
  problem,
}: {
  acrs: string[];
  onChange(acrs: string[]): void;
  problem: string | null;
}) {
  const styles = useStyles();
  const [draft, setDraft] = useState('');
  const [draftProblem, setDraftProblem] = useState<string | null>(null);
  const add = () => {
    const iqn = draft.trim();
    const bad = iqnProblem(iqn) ?? (acrs.includes(iqn) ? `${iqn} is already in the list.` : null);
    setDraftProblem(bad);
    if (bad) return;
    onChange([...acrs, iqn]);
    setDraft('');
  };
  return (
    <div
      role="group"
      aria-labelledby="acr-title"
      data-field="acr"
      style={{ display: 'flex', flexDirection: 'column', gap: 6 }}
    >
      <Text id="acr-title" weight="semibold">
        Access control records
      </Text>
      {acrs.length === 0 ? (
        <Text size={200} className={styles.muted}>
          No initiator can connect until you add its IQN.
        </Text>
      ) : (
        <ul className={styles.list} aria-label="Initiators allowed to connect">
          {acrs.map((a) => (
            <li key={a} className={styles.item}>
              <span className={styles.grow}>{a}</span>
              <Button
                size="small"
                appearance="subtle"
                icon={<DeleteRegular />}
                aria-label={`Remove ${a}`}
                onClick={() => onChange(acrs.filter((x) => x !== a))}
              />
            </li>
          ))}
        </ul>
      )}
      <div className={styles.row}>
        <Field
          label="Initiator name (IQN)"
          className={styles.grow}
          {...fieldState(draftProblem ?? problem)}
          hint="e.g. iqn.1991-05.com.microsoft:host1, or eui. and 16 hex digits"
        >
          <Input
            value={draft}
            onChange={(_, v) => (setDraft(v.value), setDraftProblem(null))}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
        <Button icon={<AddRegular />} onClick={add} style={{ marginTop: 26 }}>
          Add initiator
        </Button>
      </div>
    </div>
  );
}
