/** A device that is Ready to set up: register it with the service registration key, here on its dashboard. */
import { Button, Field, Input, MessageBar, MessageBarBody, MessageBarTitle, Spinner } from '@fluentui/react-components';
import { useState, type FormEvent } from 'react';
import { call } from '../api/client';
import type { ErrorInfo } from '../api/types';
import { fieldState } from '../wizard/machine';
import type { Device } from './labels';

export function RegisterDevice({ device, onRegistered }: { device: Device; onRegistered(): void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!key.trim()) return setError({ code: 'invalid_input', message: 'Enter the service registration key.' });
    setBusy(true);
    setError(null);
    const r = await call('devices.register', { name: device.name, registrationKey: key.trim() });
    setBusy(false);
    if (r.ok) onRegistered();
    else setError(r.error);
  };
  const useServiceKey = async () => {
    const r = await call('service.registrationKey', {});
    if (r.ok) setKey(r.value.registrationKey);
    else setError(r.error);
  };
  return (
    <MessageBar intent="info" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>Ready to set up: register the device to use it.</MessageBarTitle>
        <form
          onSubmit={submit}
          style={{ display: 'flex', gap: 8, alignItems: 'flex-end', flexWrap: 'wrap', marginTop: 8 }}
          noValidate
        >
          <Field
            label="Service registration key"
            {...fieldState(error ? `${error.message}${error.hint ? ` ${error.hint}` : ''}` : null)}
          >
            <Input type="password" value={key} onChange={(_, v) => setKey(v.value)} autoComplete="off" />
          </Field>
          <Button onClick={useServiceKey}>Use this service&apos;s key</Button>
          <Button type="submit" appearance="primary" disabled={busy} icon={busy ? <Spinner size="tiny" /> : undefined}>
            Register
          </Button>
        </form>
      </MessageBarBody>
    </MessageBar>
  );
}
