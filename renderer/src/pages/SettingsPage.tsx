/** Settings and the facts support asks for: data directory, log level, secret protection, versions, event loop. */
import { Badge, Button, Card, Field, Select, Spinner, Text, Title3, mergeClasses } from '@fluentui/react-components';
import { ArrowSyncRegular } from '@fluentui/react-icons';
import { useCallback, useEffect, useState } from 'react';
import { call } from '../api/client';
import type { CallOutput, ErrorInfo } from '../api/types';
import { ErrorBar } from '../ui/ErrorBar';
import { StatusWarnings } from '../ui/StatusWarnings';
import { Page, useSectionStyles } from '../ui/Page';

type Settings = CallOutput<'settings.get'>;
const LEVELS: Settings['logLevel'][] = ['debug', 'info', 'warn', 'error'];
/** The engine's goal for its longest event-loop block (README, "Benchmark"). */
const LOOP_GOAL_MS = 50;

/** A block time against the goal: flagged when over it. */
function AgainstGoal({ ms, testId }: { ms: number; testId: string }) {
  const over = ms > LOOP_GOAL_MS;
  return (
    <span data-testid={testId} data-over-goal={over}>
      {ms.toFixed(1)} ms of {LOOP_GOAL_MS} ms{' '}
      {over ? (
        <Badge appearance="tint" color="warning">
          Over the goal
        </Badge>
      ) : (
        <Badge appearance="outline" color="success">
          Within the goal
        </Badge>
      )}
    </span>
  );
}

const protection: Record<Settings['secretProtection'], string> = {
  'os-keychain': 'Operating-system keychain (Electron safeStorage)',
  'key-file': 'Key file readable only by you (permissions 0600) in the data directory',
};

export function SettingsPage() {
  const section = useSectionStyles();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [saved, setSaved] = useState(false);

  const load = useCallback(async () => {
    const r = await call('settings.get', {});
    if (r.ok) setSettings(r.value);
    else setError(r.error);
  }, []);

  // The event-loop figures move, so they refresh while the page is open.
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [load]);

  const setLogLevel = async (logLevel: Settings['logLevel']) => {
    setSaved(false);
    const r = await call('settings.set', { logLevel });
    if (r.ok) {
      setSettings(r.value);
      setSaved(true);
    } else setError(r.error);
  };

  if (!settings)
    return <Page title="Settings">{error ? <Text>{error.message}</Text> : <Spinner label="Loading settings…" />}</Page>;
  const v = settings.versions;
  const rows: [string, string][] = [
    ['Lifeboat', v.lifeboat],
    ['Node.js', v.node],
    ['Electron', v.electron ?? 'not running in Electron (web mode)'],
    v.chrome
      ? ['Chrome', v.chrome]
      : [
          'Browser',
          navigator.userAgent.match(/(?:Chrome|Chromium|Firefox|Version)\/[\d.]+/)?.[0] ?? navigator.userAgent,
        ],
    ['SQLite', v.sqlite],
    ['Database schema', String(v.schema)],
  ];

  return (
    <Page
      title="Settings"
      description="How this installation is set up."
      actions={
        <Button icon={<ArrowSyncRegular />} onClick={() => void load()}>
          Refresh
        </Button>
      }
    >
      <StatusWarnings />
      <ErrorBar error={error} />
      <div className={section.grid}>
        <Card className={section.card} role="region" aria-labelledby="settings-general">
          <Title3 as="h2" id="settings-general">
            General
          </Title3>
          <Field
            label="Data directory"
            hint="Where the database, logs and keys live. Change it by starting Lifeboat with --home DIR."
          >
            <Text className={section.mono} data-testid="data-dir">
              {settings.dataDir}
            </Text>
          </Field>
          <Field
            label="Log level"
            validationState={saved ? 'success' : 'none'}
            validationMessage={saved ? 'Saved.' : undefined}
          >
            <Select value={settings.logLevel} onChange={(_, d) => void setLogLevel(d.value as Settings['logLevel'])}>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </Select>
          </Field>
          <Field
            label="Secret protection"
            hint="How the keys that encrypt stored secrets (the SDEK, account keys, CHAP secrets) are protected."
          >
            <Text>{protection[settings.secretProtection]}</Text>
          </Field>
        </Card>
        <Card className={section.card} role="region" aria-labelledby="settings-about">
          <Title3 as="h2" id="settings-about">
            About
          </Title3>
          <dl className={section.dl}>
            {rows.map(([k, val]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd className={mergeClasses(section.dd, section.mono)}>{val}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <Card className={section.card} role="region" aria-labelledby="settings-loop">
          <Title3 as="h2" id="settings-loop">
            Engine responsiveness
          </Title3>
          <Text className={section.muted}>
            How long the engine's event loop was blocked (recent window); the goal is at most {LOOP_GOAL_MS} ms.
          </Text>
          <dl className={section.dl}>
            <dt>Maximum</dt>
            <dd className={section.dd}>
              <AgainstGoal ms={settings.eventLoop.maxMs} testId="loop-max" />
            </dd>
            <dt>99th percentile</dt>
            <dd className={section.dd}>{settings.eventLoop.p99Ms.toFixed(1)} ms</dd>
            <dt>Mean</dt>
            <dd className={section.dd}>{settings.eventLoop.meanMs.toFixed(1)} ms</dd>
            <dt>Maximum since start</dt>
            <dd className={section.dd}>
              <AgainstGoal ms={settings.eventLoop.sinceStartMaxMs} testId="loop-max-since-start" />
            </dd>
          </dl>
        </Card>
      </div>
    </Page>
  );
}
