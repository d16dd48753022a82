/** The top bar, Azure-portal style: product, service, connection mode and the alert bell. */
import { Text, makeStyles, tokens } from '@fluentui/react-components';
import { useLifeboat } from '../api/hooks';
import { getBridge } from '../api/client';
import { AlertBell } from './AlertBell';

const useStyles = makeStyles({
  header: {
    gridArea: 'header',
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalM,
    padding: `0 ${tokens.spacingHorizontalM}`,
    height: '48px',
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
  },
  product: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase400, color: 'inherit' },
  divider: { width: '1px', height: '20px', backgroundColor: tokens.colorNeutralForegroundOnBrand, opacity: 0.5 },
  service: { color: 'inherit' },
  spacer: { flex: 1 },
  // Full strength: dimmed, the small label fell under 4.5:1 contrast on the brand background.
  mode: { color: 'inherit' },
});

export function Header() {
  const styles = useStyles();
  const { service } = useLifeboat();
  return (
    <header className={styles.header}>
      <Text as="span" className={styles.product}>
        Lifeboat
      </Text>
      <span className={styles.divider} aria-hidden="true" />
      <Text
        as="span"
        className={styles.service}
        aria-label={`Service ${service?.name ?? ''}`}
        data-testid="service-name"
      >
        {service?.name}
      </Text>
      <span className={styles.spacer} />
      <Text as="span" size={200} className={styles.mode}>
        {getBridge().mode === 'web' ? 'Web mode' : 'Desktop'}
      </Text>
      <AlertBell />
    </header>
  );
}
