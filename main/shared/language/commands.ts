/**
 * The command tree, generated from the API contract: each call's `cli.command` names it, and its input schema gives
 * the flags (camelCase field → --kebab-case flag), their kinds, defaults and help text. Nothing is written by hand.
 */
import type { z } from 'zod';
import { contract, type CallName } from '../contract';
import type { CliSpec } from '../contract';

export type FlagKind = 'string' | 'number' | 'boolean' | 'enum' | 'array';

export interface FlagSpec {
  field: string;
  flag: string;
  kind: FlagKind;
  required: boolean;
  description: string;
  defaultValue?: unknown;
  choices?: string[];
  /** Read a file and put its text into `field`. */
  fromFile?: boolean;
}

export interface Command {
  words: string[];
  call: CallName;
  summary: string;
  cli: CliSpec;
  flags: FlagSpec[];
  positional: FlagSpec[];
}

/** camelCase field → kebab-case flag; binary units stay one word (sizeMiB → size-mib). */
export const kebab = (field: string) =>
  field
    .replace(/([KMGT]i)B\b/g, (_m, p: string) => `${p}b`)
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();

/** Options every command takes. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { field: 'json', flag: 'json', kind: 'boolean', required: false, description: 'print the result as JSON' },
  { field: 'help', flag: 'help', kind: 'boolean', required: false, description: 'show this help' },
];
export const CONFIRM_FLAGS: FlagSpec[] = [
  { field: 'yes', flag: 'yes', kind: 'boolean', required: false, description: 'do it without asking for confirmation' },
];
export const JOB_FLAGS: FlagSpec[] = [
  {
    field: 'detach',
    flag: 'detach',
    kind: 'boolean',
    required: false,
    description: 'return the job id at once instead of following the job',
  },
];

function describeField(field: string, schema: z.ZodType): FlagSpec {
  let s = schema as z.ZodType & {
    _zod: {
      def: {
        type: string;
        innerType?: z.ZodType;
        defaultValue?: unknown;
        element?: z.ZodType;
        entries?: Record<string, string>;
      };
    };
  };
  let required = true;
  let defaultValue: unknown;
  let description = s.description ?? '';
  for (;;) {
    const def = s._zod.def;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') {
      required = false;
      if (def.type === 'default') defaultValue = def.defaultValue;
      s = def.innerType as typeof s;
      description ||= s.description ?? '';
    } else break;
  }
  const type = s._zod.def.type;
  const kind: FlagKind =
    type === 'number' || type === 'int'
      ? 'number'
      : type === 'boolean'
        ? 'boolean'
        : type === 'enum'
          ? 'enum'
          : type === 'array'
            ? 'array'
            : 'string';
  const choices = kind === 'enum' ? Object.values(s._zod.def.entries ?? {}) : undefined;
  return {
    field,
    flag: kebab(field),
    kind,
    required: required && kind !== 'boolean',
    description,
    defaultValue,
    choices,
  };
}

function build(): Command[] {
  return (Object.keys(contract) as CallName[]).map((call) => {
    const spec = contract[call];
    const shape = spec.input.shape as Record<string, z.ZodType>;
    const all = Object.entries(shape).map(([field, schema]) => describeField(field, schema));
    const positionalNames = spec.cli.positional ?? [];
    const fileFlags = Object.entries(spec.cli.fileFlags ?? {}).map(([flag, field]) => ({
      ...all.find((f) => f.field === field)!,
      flag,
      kind: 'string' as const,
      fromFile: true,
      description: `read ${withThe(all.find((f) => f.field === field)?.description || field)} from this file`,
    }));
    return {
      words: spec.cli.command.split(' '),
      call,
      summary: spec.summary,
      cli: spec.cli,
      positional: positionalNames.map((name) => all.find((f) => f.field === name)!),
      flags: [...all.filter((f) => !positionalNames.includes(f.field)), ...fileFlags],
    };
  });
}

export const commands: Command[] = build();

/** A field's description after "the": as it is when it has its own article ("the service registration key"). */
export function withThe(description: string): string {
  return /^(the|a|an) /i.test(description) ? description : `the ${description}`;
}

/** The command named by the longest run of leading words, and how many words it used. */
export function findCommand(words: string[]): { command: Command; used: number } | null {
  let best: { command: Command; used: number } | null = null;
  for (const command of commands) {
    const n = command.words.length;
    if (n <= words.length && command.words.every((w, i) => w === words[i]) && (!best || n > best.used))
      best = { command, used: n };
  }
  return best;
}

export function usage(command: Command): string {
  const pos = command.positional
    .map((p) => (p.required ? p.field.toUpperCase() : `[${p.field.toUpperCase()}]`))
    .join(' ');
  const req = command.flags
    .filter((f) => f.required && !f.fromFile)
    .map((f) => `--${f.flag} ${f.kind === 'number' ? 'N' : 'VALUE'}`);
  return ['lifeboat', ...command.words, pos, ...req, '[options]'].filter(Boolean).join(' ');
}
