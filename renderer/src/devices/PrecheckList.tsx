/**
 * The failover's prechecks as a checklist: one line per check (passed, warning, failed) with its own cause, and under
 * each one that did not pass, its fix and the page where it is made. Re-run asks the engine again (failover.prechecks).
 */
import { Button, Link, Spinner, Text, makeStyles, tokens } from '@fluentui/react-components';
import {
  ArrowClockwiseRegular,
  CheckmarkCircleFilled,
  DismissCircleFilled,
  WarningFilled,
} from '@fluentui/react-icons';
import type { FailoverPrechecks } from '../../../main/shared/device-schemas';
import { formatTime } from '../format';
import { routes } from '../shell/routes';

const useStyles = makeStyles({
  box: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  head: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalM, flexWrap: 'wrap' },
  list: {
    listStyle: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXS,
  },
  item: { display: 'grid', gridTemplateColumns: '20px 1fr', columnGap: tokens.spacingHorizontalS, alignItems: 'start' },
  fix: { gridColumn: '2', color: tokens.colorNeutralForeground2 },
  pass: { color: tokens.colorPaletteGreenForeground1 },
  warn: { color: tokens.colorPaletteDarkOrangeForeground1 },
  fail: { color: tokens.colorPaletteRedForeground1 },
});

const WORD = { pass: 'Passed', warn: 'Warning', fail: 'Failed' } as const;
/** What each check is about, so the line reads on its own. */
const CHECK_LABEL: Record<string, string> = {
  account: 'Storage account',
  cloud: 'Backup reachable from the target',
  target: 'Target device',
  registered: 'Registration',
  domain: 'Domain',
  backup: 'Backup restored',
  items: 'Shares or volumes',
  space: 'Space on the target',
  iscsi: 'iSCSI settings',
};

const pageHref = (label: string | null) => {
  const route = routes.find((r) => r.label === label);
  return route ? `#/${route.id}` : null;
};

export function PrecheckList({
  checks,
  running,
  onRerun,
}: {
  checks: FailoverPrechecks | null;
  running: boolean;
  onRerun(): void;
}) {
  const styles = useStyles();
  const failed = checks?.checks.filter((c) => c.status === 'fail').length ?? 0;
  return (
    <section
      className={styles.box}
      aria-labelledby="prechecks-title"
      data-testid="failover-prechecks"
      data-ok={checks ? String(checks.ok) : undefined}
    >
      <div className={styles.head}>
        <Text id="prechecks-title" weight="semibold">
          Prechecks
        </Text>
        <Button
          size="small"
          icon={running ? <Spinner size="extra-tiny" /> : <ArrowClockwiseRegular />}
          disabled={running}
          onClick={onRerun}
        >
          Re-run prechecks
        </Button>
        {checks && (
          <Text size={200} className={failed ? styles.fail : styles.pass} role="status">
            {failed
              ? `${failed} failed: the failover cannot start until ${failed === 1 ? 'it is' : 'they are'} fixed.`
              : 'Nothing stops the failover.'}{' '}
            Checked {formatTime(checks.checkedAt)}.
          </Text>
        )}
      </div>
      {!checks ? (
        <Spinner size="tiny" label="Running the prechecks…" />
      ) : (
        <ul className={styles.list} aria-label="Prechecks">
          {checks.checks.map((c) => {
            const href = pageHref(c.page);
            return (
              <li
                key={c.name}
                className={styles.item}
                data-check={c.name}
                data-status={c.status}
                data-testid={c.status === 'warn' ? 'failover-warning' : undefined}
              >
                <span className={styles[c.status]} aria-hidden>
                  {c.status === 'pass' ? (
                    <CheckmarkCircleFilled />
                  ) : c.status === 'warn' ? (
                    <WarningFilled />
                  ) : (
                    <DismissCircleFilled />
                  )}
                </span>
                <Text>
                  <Text weight="semibold" className={styles[c.status]}>
                    {WORD[c.status]}
                  </Text>{' '}
                  <Text weight="semibold">{CHECK_LABEL[c.name] ?? c.name}:</Text> {c.message}
                </Text>
                {c.status !== 'pass' && c.fix && (
                  <Text size={200} className={styles.fix}>
                    Fix: {c.fix}
                    {href && (
                      <>
                        {' '}
                        <Link href={href}>Open {c.page}</Link>
                      </>
                    )}
                  </Text>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
