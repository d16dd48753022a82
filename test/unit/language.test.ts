import { describe, expect, it } from 'vitest';
import { contract } from '../../main/shared/contract';
import { commands, kebab } from '../../main/shared/language/commands';
import { record, table } from '../../main/shared/language/format';
import type { CommandIO } from '../../main/shared/language/io';
import { parseWords, UsageError } from '../../main/shared/language/parse';
import { complete, contractCoverage, run } from '../../main/shared/language/run';
import { tokenize } from '../../main/shared/language/tokenize';

function fakeIO(responses: Record<string, unknown> = {}) {
  const calls: { name: string; input: unknown }[] = [];
  let out = '';
  const io: CommandIO = {
    call: async (name, input) => {
      calls.push({ name, input });
      return name in responses
        ? { ok: true, value: responses[name] }
        : { ok: false, error: { code: 'not_found', message: `no ${name}`, hint: 'try again' } };
    },
    onEvent: () => () => undefined,
    write: (t) => {
      out += t;
    },
    interactive: false,
    columns: 100,
  };
  return { io, calls, out: () => out };
}

describe('tokenizer', () => {
  it('handles quotes, escapes and comments', () => {
    expect(tokenize(`service init --name "Lab DR" # a comment`).map((t) => t.text)).toEqual([
      'service',
      'init',
      '--name',
      'Lab DR',
    ]);
    expect(tokenize(`a 'it''s' "say \\"hi\\"" b\\ c`).map((t) => t.text)).toEqual(['a', 'its', 'say "hi"', 'b c']);
    expect(() => tokenize('a "open')).toThrow(/never closed/);
  });
});

describe('parser', () => {
  it('maps flags and positionals to contract input with coercion', () => {
    const p = parseWords(['selftest', '--size-mib', '8', '--seconds=2.5', '--detach']);
    expect(p.command.call).toBe('jobs.selftest');
    expect(p.input).toEqual({ sizeMiB: 8, seconds: 2.5 });
    expect(p.detach).toBe(true);
    expect(parseWords(['jobs', 'wait', 'job-1', '--json']).input).toEqual({ id: 'job-1' });
    expect(parseWords(['service', 'join', '--sdek-file', 'k.txt']).files).toEqual({ sdek: 'k.txt' });
  });

  it('says "did you mean" for unknown commands and flags', () => {
    expect(() => parseWords(['jobs', 'lst'])).toThrow(UsageError);
    try {
      parseWords(['jobs', 'lst']);
    } catch (e) {
      expect((e as UsageError).hint).toContain('jobs list');
    }
    try {
      parseWords(['selftest', '--size-mb', '3']);
    } catch (e) {
      expect((e as UsageError).hint).toBe('Did you mean --size-mib?');
    }
  });

  it('refuses a bad number, a bad enum value, a missing value and extra arguments', () => {
    expect(() => parseWords(['selftest', '--seconds', 'ten'])).toThrow(/--seconds takes a number/);
    expect(() => parseWords(['jobs', 'list', '--status', 'runing'])).toThrow(/one of queued, running/);
    expect(() => parseWords(['jobs', 'wait'])).toThrow(/needs ID/);
    expect(() => parseWords(['jobs', 'show', 'a', 'b'])).toThrow(/Too many arguments/);
  });

  it('turns camelCase fields into kebab-case flags', () => {
    expect(kebab('timeoutSeconds')).toBe('timeout-seconds');
    expect(kebab('sizeMiB')).toBe('size-mib');
  });
});

describe('contract coverage', () => {
  it('every API call has a command and every command an API call', () => {
    expect(contractCoverage()).toEqual({ callsWithoutCommand: [], commandsWithoutCall: [] });
    expect(commands.length).toBe(Object.keys(contract).length);
    const names = commands.map((c) => c.words.join(' '));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('run and format', () => {
  it('prints tables by default and JSON with --json', async () => {
    const jobs = [
      {
        id: 'job-1',
        type: 'selftest',
        objectName: 'self-test',
        status: 'running',
        progress: 0.5,
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: null,
      },
    ];
    const a = fakeIO({ 'jobs.list': jobs });
    expect(await run('jobs list', a.io)).toBe(0);
    expect(a.out()).toMatch(/^ID\s+TYPE\s+OBJECT NAME\s+STATUS/);
    expect(a.out()).toContain('50%');
    const b = fakeIO({ 'jobs.list': jobs });
    expect(await run('jobs list --json --limit 5', b.io)).toBe(0);
    expect(JSON.parse(b.out())).toEqual(jobs);
    expect(b.calls[0]).toEqual({ name: 'jobs.list', input: { limit: 5 } });
  });

  it('reports errors with code and hint, exit 1, and usage errors with exit 2', async () => {
    const a = fakeIO();
    expect(await run(['jobs', 'show', 'job-x'], a.io)).toBe(1);
    expect(a.out()).toContain('error (not_found): no jobs.show');
    expect(a.out()).toContain('hint: try again');
    const b = fakeIO();
    expect(await run('nothing here', b.io)).toBe(2);
  });

  it('table pads columns', () => {
    expect(table([{ a: 'x', b: 1 }], ['a', 'b'])).toBe('A  B\nx  1\n');
  });

  it('failover targets says when no device is compatible, and why each is not', async () => {
    const none = {
      source: 'fs1',
      compatible: [],
      excluded: [
        { device: 'is2', reasons: [{ code: 'type', message: 'is2 is an iSCSI server; fs1 is a file server.' }] },
      ],
    };
    const a = fakeIO({ 'failover.targets': none });
    expect(await run('failover targets fs1', a.io)).toBe(0);
    expect(a.out()).toBe(
      'There are no compatible target devices for fs1.\nNot compatible:\n  is2\n      - is2 is an iSCSI server; fs1 is a file server. (type)\n',
    );
    const b = fakeIO({
      'failover.targets': {
        ...none,
        compatible: [{ device: 'fs2', warnings: [{ code: 'domain', message: 'fs2 joins another domain.' }] }],
      },
    });
    await run('failover targets fs1', b.io);
    expect(b.out()).toMatch(
      /^Compatible target devices for fs1:\n {2}fs2\n {6}- fs2 joins another domain\. \(domain\)\nNot compatible:/,
    );
  });

  it('records show sizes and indent lists of records under their key', () => {
    const shown = record({
      name: 'fs1',
      capacity: 10 * 2 ** 30,
      shares: [{ name: 'docs', quota: 2 ** 20 }],
      tags: ['a', 'b'],
    });
    expect(shown).toBe('name: fs1\ncapacity: 10 GiB\nshares:\n  - name: docs\n    quota: 1.0 MiB\ntags: a, b\n');
  });
});

describe('completion', () => {
  it('completes command words, flags, enum values and live job ids', async () => {
    const { io } = fakeIO({ 'jobs.list': [{ id: 'job-abc' }, { id: 'job-abd' }] });
    expect((await complete('jo', 2, io)).items).toEqual(['jobs']);
    expect((await complete('jobs ', 5, io)).items).toEqual(['cancel', 'list', 'pause', 'resume', 'show', 'wait']);
    expect((await complete('jobs list --st', 14, io)).items).toEqual(['--status']);
    expect((await complete('jobs list --status r', 20, io)).items).toEqual(['running']);
    const ids = await complete('jobs wait job-ab', 16, io);
    expect(ids).toEqual({ from: 10, items: ['job-abc', 'job-abd'] });
  });
});

describe('scripts', () => {
  it('runs each line, skips comments, stops at the first error unless --keep-going', async () => {
    const script = '# nightly\njobs list\n\nnothing here\nalerts list\n';
    const make = () =>
      fakeIO({ 'scripts.read': { path: '/s.lifeboat', text: script }, 'jobs.list': [], 'alerts.list': [] });
    const a = make();
    expect(await run('run /s.lifeboat', a.io)).toBe(2);
    expect(a.calls.map((c) => c.name)).toEqual(['scripts.read', 'jobs.list']);
    expect(a.out()).toContain('/s.lifeboat:4: stopped at this line (exit 2); --keep-going runs the rest.');
    const b = make();
    expect(await run('run /s.lifeboat --keep-going', b.io)).toBe(2);
    expect(b.calls.map((c) => c.name)).toEqual(['scripts.read', 'jobs.list', 'alerts.list']);
  });
});

describe('destructive commands', () => {
  it('ask before acting, and act with --yes', async () => {
    const { commands: all } = await import('../../main/shared/language/commands');
    const destructive = all.filter((c) => c.cli.confirm);
    expect(destructive.map((c) => c.words.join(' ')).sort()).toEqual([
      ...[
        'account remove',
        'backup delete',
        'backup prune',
        'device offline',
        'device remove',
        'failover abandon',
        'failover start',
      ],
      ...['item change-point', 'item commit', 'item disable', 'item failover', 'item reprotect'],
      ...['plan commit', 'plan delete', 'plan failback', 'plan failover', 'plan reprotect'],
      ...['share delete', 'share offline', 'site remove', 'volume delete', 'volume offline'],
    ]);
    const command = destructive.find((c) => c.words.join(' ') === 'backup delete')!;
    const line = [...command.words, ...command.positional.map(() => 'x')].join(' ');
    const asked: string[] = [];
    const no = fakeIO({ [command.call]: {} });
    no.io.prompt = async (q) => {
      asked.push(q);
      return 'n';
    };
    expect(await run(line, no.io)).toBe(1);
    expect(no.calls).toEqual([]);
    expect(asked[0]).toMatch(/\[y\/N\] $/);
    const unattended = fakeIO({ [command.call]: {} });
    expect(await run(line, unattended.io)).toBe(1);
    expect(unattended.out()).toContain('Pass --yes to confirm.');
    const yes = fakeIO({ [command.call]: {} });
    await run(`${line} --yes`, yes.io);
    expect(yes.calls.map((c) => c.name)).toEqual([command.call]);
  });
});
