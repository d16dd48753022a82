/** Errors as the app's pages show them (renderer/src/ui/screen-errors.ts): no internal field names, no CLI commands. */
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/shared/errors';
import { fieldLabel, forScreen, labelledMessage, placesForCommands } from '../../renderer/src/ui/screen-errors';

describe('errors on screen', () => {
  it('take the field from the engine message, show it in words and the message without it', () => {
    const info = new LifeboatError(
      'invalid_input',
      'registrationKey: this is not the service registration key.',
      'Get the key with `lifeboat service registration-key` and paste it whole.',
    ).toInfo();
    expect(info.field).toBe('registrationKey');
    // The CLI prints the message and hint as they are.
    expect(info.message).toBe('registrationKey: this is not the service registration key.');
    const shown = forScreen(info);
    expect(shown).toMatchObject({
      field: 'registrationKey',
      message: 'This is not the service registration key.',
      hint: 'Get the key with Show registration key on the Dashboard and paste it whole.',
    });
    expect(labelledMessage(shown)).toBe('Service registration key: This is not the service registration key.');
  });

  it('use the zod path the dispatcher sends, and words for every field', () => {
    expect(forScreen({ code: 'invalid_input', message: 'quota: 600 MiB does not fit.', field: 'quota' }).message).toBe(
      '600 MiB does not fit.',
    );
    expect(forScreen({ code: 'invalid_input', message: 'NAME: "x_y" is not a site name.' })).toMatchObject({
      field: 'name',
      message: '"x_y" is not a site name.',
    });
    expect(fieldLabel('timeZone')).toBe('Time zone');
    expect(fieldLabel('acr.0')).toBe('Access control records');
    expect(forScreen({ code: 'io_error', message: 'Could not read: the disk is gone.' })).toEqual({
      code: 'io_error',
      message: 'Could not read: the disk is gone.',
    });
  });

  it('name the button or page for a command, and the Console page for one the app has no place for', () => {
    expect(placesForCommands('Run `lifeboat account check lab --read-data` to see which.')).toBe(
      'Run Check on the Storage accounts page to see which.',
    );
    expect(placesForCommands('See `lifeboat failover targets fs1`.')).toBe('See Fail over on the Devices page.');
    expect(placesForCommands('Or `lifeboat device remove fs1`.')).toBe(
      'Or `lifeboat device remove fs1` on the Console page.',
    );
    expect(placesForCommands('On the other host run `lifeboat agent serve --root DIR`.')).toBe(
      'On the other host run `lifeboat agent serve --root DIR`.',
    );
  });
});
