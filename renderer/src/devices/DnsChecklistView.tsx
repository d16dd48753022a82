/** The DNS aliases to create after a failover so clients reach the target under the source's name, and what else to do. */
import {
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import type { DnsChecklist } from './labels';

const useStyles = makeStyles({
  box: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  mono: { fontFamily: tokens.fontFamilyMonospace },
  steps: { margin: 0, paddingLeft: tokens.spacingHorizontalXL },
});

export function DnsChecklistView({ checklist }: { checklist: DnsChecklist }) {
  const styles = useStyles();
  return (
    <section className={styles.box} aria-labelledby="dns-checklist-title" data-testid="dns-checklist">
      <Text id="dns-checklist-title" weight="semibold">
        DNS alias checklist: {checklist.source} → {checklist.target}
      </Text>
      {checklist.records.length > 0 && (
        <Table aria-label="DNS records to create" size="extra-small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell style={{ width: 80 }}>Type</TableHeaderCell>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Points to</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {checklist.records.map((r) => (
              <TableRow key={`${r.type}-${r.name}`}>
                <TableCell>{r.type}</TableCell>
                <TableCell className={styles.mono}>{r.name}</TableCell>
                <TableCell className={styles.mono}>{r.value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <ol className={styles.steps} aria-label="Steps after the failover">
        {checklist.steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
    </section>
  );
}
