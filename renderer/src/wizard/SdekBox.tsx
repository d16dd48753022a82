/** The service data encryption key, shown once: monospace, selectable, wrapped between groups, with Copy and Save to file. */
import { Button, makeStyles, tokens } from '@fluentui/react-components';
import { ArrowDownloadRegular, CheckmarkRegular, CopyRegular } from '@fluentui/react-icons';
import { useState } from 'react';

const useStyles = makeStyles({
  key: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase400,
    letterSpacing: '0.04em',
    lineHeight: tokens.lineHeightBase500,
    padding: tokens.spacingHorizontalM,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
    userSelect: 'all',
  },
  /** A group of 5 never breaks: lines wrap only after a hyphen, so a key copied by hand keeps its groups. */
  group: { whiteSpace: 'nowrap' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, marginTop: tokens.spacingVerticalS },
});

export const sdekFileName = (serviceName: string) =>
  `lifeboat-sdek-${serviceName.trim().replace(/[^A-Za-z0-9._-]+/g, '-')}.txt`;

export function SdekBox({ sdek, serviceName }: { sdek: string; serviceName: string }) {
  const styles = useStyles();
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(sdek);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };

  const save = () => {
    const text = `Lifeboat service data encryption key (SDEK)\nService: ${serviceName}\nCreated: ${new Date().toISOString()}\n\n${sdek}\n\nKeep this file offline and safe. Anyone with it can read this service's backups; without it they cannot be restored on a new installation.\n`;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = sdekFileName(serviceName);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <div>
      <div
        className={styles.key}
        role="textbox"
        aria-readonly="true"
        aria-label="Service data encryption key"
        tabIndex={0}
        data-testid="sdek"
        data-autofocus
      >
        {sdek.split('-').map((group, i, all) => (
          <span key={i}>
            <span className={styles.group}>{i < all.length - 1 ? `${group}-` : group}</span>
            <wbr />
          </span>
        ))}
      </div>
      <div className={styles.actions}>
        <Button icon={copied === 'copied' ? <CheckmarkRegular /> : <CopyRegular />} onClick={copy}>
          {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed: select the key and copy it' : 'Copy'}
        </Button>
        <Button icon={<ArrowDownloadRegular />} onClick={save}>
          Save to file
        </Button>
      </div>
    </div>
  );
}
