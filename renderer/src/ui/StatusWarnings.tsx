/** What the administrator should fix about this installation (status.get's `warnings`, e.g. a data directory open to others). */
import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { useQuery } from '../api/query';

export function StatusWarnings() {
  const status = useQuery('status.get', {});
  const warnings = status.data?.warnings ?? [];
  if (!warnings.length) return null;
  return (
    <MessageBar intent="warning" layout="multiline" data-testid="status-warnings">
      <MessageBarBody>
        <MessageBarTitle>This installation needs attention</MessageBarTitle>
        {warnings.length === 1 ? (
          warnings[0]
        ) : (
          <ul style={{ margin: 0, paddingLeft: 20 }}>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
      </MessageBarBody>
    </MessageBar>
  );
}
