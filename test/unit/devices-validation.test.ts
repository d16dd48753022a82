import { describe, expect, it } from 'vitest';
import {
  checkAcrs,
  checkChap,
  checkDeviceName,
  checkDomain,
  checkIqn,
  checkItemName,
  checkTimeZone,
} from '../../main/shared/device-rules';
import { parseSize } from '../../main/shared/units';

/** The error a check throws, as {code, message} (or null when it passes). */
function failure(f: () => unknown): { code: string; message: string; hint?: string } | null {
  try {
    f();
    return null;
  } catch (err) {
    const e = err as { code: string; message: string; hint?: string };
    return { code: e.code, message: e.message, hint: e.hint };
  }
}

describe('parseSize', () => {
  it('reads binary and decimal units, fractions, spaces and plain byte counts', () => {
    expect(parseSize('500GiB')).toBe(500 * 2 ** 30);
    expect(parseSize('2 TB')).toBe(2e12);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('64mib')).toBe(64 * 2 ** 20);
    expect(parseSize('10 KB')).toBe(10_000);
    expect(parseSize('3 bytes')).toBe(3);
  });
  it('rejects garbage, unknown units and zero with a message naming the field', () => {
    expect(failure(() => parseSize('lots', 'capacity'))).toMatchObject({
      code: 'invalid_input',
      message: 'capacity: "lots" is not a size.',
      hint: expect.stringContaining('500GiB'),
    });
    expect(failure(() => parseSize('5 GX', 'quota'))).toMatchObject({
      message: 'quota: "GX" in "5 GX" is not a size unit.',
    });
    expect(failure(() => parseSize('-1GiB'))?.message).toBe('size: "-1GiB" is not a size.');
    expect(failure(() => parseSize('0'))?.message).toMatch(/^size: the size must be more than 0 bytes/);
    expect(failure(() => parseSize('1.2.3GiB'))?.message).toMatch(/is not a size/);
    expect(failure(() => parseSize('99999999 PiB'))?.message).toMatch(/too large/);
  });
});

describe('device settings', () => {
  it('device names follow NetBIOS-safe host name rules', () => {
    expect(checkDeviceName('fs-ams1')).toBe('fs-ams1');
    expect(checkDeviceName('A23456789012345')).toBe('A23456789012345');
    expect(failure(() => checkDeviceName('a234567890123456'))?.message).toBe(
      'name: "a234567890123456" has 16 characters; a device name has at most 15.',
    );
    expect(failure(() => checkDeviceName('12345'))?.message).toBe(
      'name: "12345" is all digits; a device name needs at least one letter or hyphen.',
    );
    expect(failure(() => checkDeviceName('fs_1'))?.message).toBe(
      'name: "fs_1" contains "_"; a device name has only letters, digits and hyphens.',
    );
    expect(failure(() => checkDeviceName('-fs'))?.message).toMatch(/starts or ends with a hyphen/);
    expect(failure(() => checkDeviceName('fs-'))?.message).toMatch(/starts or ends with a hyphen/);
    expect(failure(() => checkDeviceName(''))?.message).toMatch(/^name: give the device a name/);
  });
  it('domains are FQDNs', () => {
    expect(checkDomain('corp.contoso.com')).toBe('corp.contoso.com');
    expect(checkDomain('corp.contoso.com.')).toBe('corp.contoso.com');
    expect(failure(() => checkDomain('contoso'))?.message).toMatch(
      /^domain: "contoso" is not a fully qualified domain name/,
    );
    expect(failure(() => checkDomain('corp..com'))?.message).toMatch(/empty label/);
    expect(failure(() => checkDomain('corp_x.com'))?.message).toMatch(
      /the label "corp_x" .* only letters, digits and hyphens/,
    );
    expect(failure(() => checkDomain(`${'a'.repeat(64)}.com`))?.message).toMatch(/has 64 characters; at most 63/);
    expect(failure(() => checkDomain(Array(60).fill('abcd').join('.')))?.message).toMatch(
      /has 299 characters; a domain name has at most 253/,
    );
    expect(failure(() => checkDomain('-a.com'))?.message).toMatch(/starts or ends with a hyphen/);
    expect(failure(() => checkDomain('10.0.0.1'))?.message).toMatch(/numeric label/);
  });
  it('time zones are validated by Intl and canonicalized', () => {
    expect(checkTimeZone('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(failure(() => checkTimeZone('Mars/Olympus'))).toMatchObject({
      code: 'invalid_input',
      message: 'timeZone: "Mars/Olympus" is not a time zone.',
    });
  });
});

describe('share and volume settings', () => {
  it('item names: length, characters, reserved Windows names', () => {
    expect(checkItemName('finance docs_2.0', 'share')).toBe('finance docs_2.0');
    expect(failure(() => checkItemName('a'.repeat(65), 'share'))?.message).toMatch(
      /has 65 characters; a share name has at most 64/,
    );
    expect(failure(() => checkItemName('a/b', 'share'))?.message).toBe(
      'name: "a/b" contains "/", which a share name cannot have.',
    );
    expect(failure(() => checkItemName('..', 'volume'))?.message).toMatch(/not a usable volume name/);
    expect(failure(() => checkItemName('con', 'share'))?.message).toBe(
      'name: "con" is a name Windows reserves for a device (CON).',
    );
    expect(failure(() => checkItemName('LPT1.txt', 'volume'))?.message).toMatch(/reserves for a device \(LPT1\)/);
    expect(failure(() => checkItemName(' x', 'share'))?.message).toMatch(/starts or ends with a space/);
  });
  it('IQNs and EUIs, at most 220 characters, no duplicates', () => {
    expect(checkIqn('iqn.1991-05.com.microsoft:host1')).toBe('iqn.1991-05.com.microsoft:host1');
    expect(checkIqn('iqn.2001-04.com.example')).toBe('iqn.2001-04.com.example');
    // iSCSI names compare without regard to case: stored in lower case.
    expect(checkIqn('eui.02004567A425678D')).toBe('eui.02004567a425678d');
    expect(checkIqn('IQN.1991-05.COM.Microsoft:Host1')).toBe('iqn.1991-05.com.microsoft:host1');
    expect(checkIqn('iqn.1991-05.com.microsoft:host1:disk.2-a')).toBe('iqn.1991-05.com.microsoft:host1:disk.2-a');
    expect(failure(() => checkIqn('iqn.0000-01.com.microsoft:h'))?.message).toMatch(/has the year 0000/);
    expect(failure(() => checkIqn('iqn.1991-05.com.microsoft:host 1'))?.message).toMatch(/after the colon/);
    expect(failure(() => checkIqn('iqn.1991-05.com.microsoft:host/1'))?.message).toMatch(/after the colon/);
    expect(failure(() => checkIqn('iqn.1991-05.com..microsoft'))?.message).toMatch(/reversed domain name/);
    expect(failure(() => checkIqn('iqn.1991-05'))?.message).toBe(
      'acr: "iqn.1991-05" is not a valid initiator name (IQN).',
    );
    expect(failure(() => checkIqn('eui.02004567A425678G'))?.message).toMatch(/exactly 16 hexadecimal digits/);
    expect(checkAcrs(['IQN.1991-05.com.microsoft:A', 'eui.02004567A425678D'])).toEqual([
      'iqn.1991-05.com.microsoft:a',
      'eui.02004567a425678d',
    ]);
    expect(failure(() => checkIqn('iqn.1991-13.com.microsoft:host1'))?.message).toMatch(/^acr: .* has month 13/);
    expect(failure(() => checkIqn('host1'))?.message).toBe('acr: "host1" is not a valid initiator name (IQN).');
    expect(failure(() => checkIqn('eui.1234'))?.message).toMatch(/exactly 16 hexadecimal digits/);
    expect(failure(() => checkIqn('iqn.1991-05.com_x.microsoft:h'))?.message).toMatch(/reversed domain name/);
    const prefix = 'iqn.1991-05.com.microsoft:';
    expect(checkIqn(prefix + 'h'.repeat(220 - prefix.length))).toHaveLength(220);
    expect(failure(() => checkIqn(prefix + 'h'.repeat(221 - prefix.length)))?.message).toMatch(
      /has 221 characters; at most 220 are allowed/,
    );
    expect(failure(() => checkAcrs(['iqn.1991-05.com.microsoft:a', 'IQN.1991-05.com.microsoft:A']))?.message).toMatch(
      /is listed twice/,
    );
  });
  it('CHAP: user and secret together, 12 to 16 characters, never echoing the secret', () => {
    expect(checkChap(undefined, undefined)).toBeNull();
    expect(checkChap('u', '123456789012')).toEqual({ user: 'u', secret: '123456789012' });
    expect(checkChap('u', '1234567890123456')).toEqual({ user: 'u', secret: '1234567890123456' });
    const short = failure(() => checkChap('u', 'secretsecre'));
    expect(short?.message).toBe('chapSecret: the CHAP secret must be 12 to 16 characters long; the one given has 11.');
    const long = failure(() => checkChap('u', 'secretsecretsecre'));
    expect(long?.message).toMatch(/the one given has 17/);
    expect(long?.message).not.toContain('secretsecretsecre');
    expect(failure(() => checkChap('u', undefined))?.message).toMatch(
      /^chapSecret: a CHAP user was given without a CHAP secret/,
    );
    expect(failure(() => checkChap(undefined, '123456789012'))?.message).toMatch(/^chapUser: /);
  });
});

describe('the forms check by the same rules', () => {
  it("refuses what the engine refuses, in the engine's words without the field name, and passes what it passes", async () => {
    const forms = await import('../../renderer/src/devices/validation');
    const cases: [string | null, () => unknown][] = [
      [forms.deviceNameProblem('12345'), () => checkDeviceName('12345')],
      [forms.deviceNameProblem('fs_1'), () => checkDeviceName('fs_1')],
      [forms.fqdnProblem('contoso'), () => checkDomain('contoso')],
      [forms.timeZoneProblem('Mars/Olympus'), () => checkTimeZone('Mars/Olympus')],
      [forms.itemNameProblem('CON', 'share'), () => checkItemName('CON', 'share')],
      [forms.iqnProblem('iqn.2024-13.com.contoso:host1'), () => checkIqn('iqn.2024-13.com.contoso:host1')],
      [forms.chapSecretProblem('short'), () => checkChap('user', 'short')],
    ];
    for (const [problem, check] of cases) {
      const engine = failure(check)!.message.replace(/^[^:"]+: /, '');
      expect(problem).toBe(engine.charAt(0).toUpperCase() + engine.slice(1));
    }
    expect([
      forms.deviceNameProblem('fs-1'),
      forms.fqdnProblem(''),
      forms.iqnProblem('eui.02004567a425678d'),
      forms.chapSecretProblem('twelve-chars'),
    ]).toEqual([null, null, null, null]);
  });
});
