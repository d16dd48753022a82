/** An item's commands (quiesce, thaw, shutdown, start) and each one's last run: when, how it ended, its output. */
import {
  Accordion,
  AccordionHeader,
  AccordionItem,
  AccordionPanel,
  Badge,
  Text,
  Title3,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { formatTime } from '../format';
import type { CommandRunInfo, ItemInfo } from './labels';

const useStyles = makeStyles({
  output: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    backgroundColor: tokens.colorNeutralBackground3,
    padding: tokens.spacingHorizontalS,
    borderRadius: tokens.borderRadiusMedium,
    maxHeight: '200px',
    overflowY: 'auto',
    margin: 0,
  },
  head: { display: 'inline-flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
});

function ended(run: CommandRunInfo): { text: string; ok: boolean } {
  if (run.spawnError) return { text: `could not start: ${run.spawnError}`, ok: false };
  if (run.timedOut) return { text: 'timed out', ok: false };
  if (run.signal) return { text: `ended by ${run.signal}`, ok: false };
  return { text: `exit code ${run.exitCode ?? '—'}`, ok: run.exitCode === 0 };
}

export function CommandOutputs({ item }: { item: ItemInfo }) {
  const styles = useStyles();
  const names = Object.keys(item.commands ?? {});
  return (
    <section aria-labelledby="commands-title">
      <Title3 as="h2" id="commands-title">
        Commands
      </Title3>
      {names.length === 0 ? (
        <Text className={styles.muted}>
          No commands: points are crash-consistent. A quiesce and a thaw command make app-consistent points.
        </Text>
      ) : (
        <Accordion multiple collapsible>
          {names.map((n) => {
            const run = item.commandRuns?.[n];
            const end = run ? ended(run) : null;
            return (
              <AccordionItem key={n} value={n} data-command={n}>
                <AccordionHeader>
                  <span className={styles.head}>
                    <Text weight="semibold">{n}</Text>
                    <Text className={styles.muted} font="monospace">
                      {item.commands[n]}
                    </Text>
                    {run && end ? (
                      <Badge
                        appearance="tint"
                        color={end.ok ? 'success' : 'danger'}
                      >{`${formatTime(run.startedAt)} · ${end.text}`}</Badge>
                    ) : (
                      <Badge appearance="tint" color="subtle">
                        not run yet
                      </Badge>
                    )}
                  </span>
                </AccordionHeader>
                <AccordionPanel>
                  {run ? (
                    <pre
                      className={styles.output}
                    >{`${run.outputCut ? `… ${run.outputCut} bytes cut …\n` : ''}${run.output || '(no output)'}`}</pre>
                  ) : (
                    <Text className={styles.muted}>Its output shows here after its first run.</Text>
                  )}
                </AccordionPanel>
              </AccordionItem>
            );
          })}
        </Accordion>
      )}
      <Text size={200} className={styles.muted}>{`Each command may run for ${item.commandTimeoutSeconds} s.`}</Text>
    </section>
  );
}
