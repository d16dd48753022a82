/** Turns words into a contract call: command lookup, flags, positionals, coercion, "did you mean". */
import {
  commands,
  CONFIRM_FLAGS,
  findCommand,
  GLOBAL_FLAGS,
  JOB_FLAGS,
  kebab,
  withThe,
  type Command,
  type FlagSpec,
} from './commands';

export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface Parsed {
  command: Command;
  input: Record<string, unknown>;
  /** Flags that read files: field → path. */
  files: Record<string, string>;
  json: boolean;
  help: boolean;
  detach: boolean;
  yes: boolean;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

export function didYouMean(word: string, candidates: string[]): string | undefined {
  const best = candidates.map((c) => ({ c, d: distance(word, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

export function flagsOf(command: Command): FlagSpec[] {
  return [
    ...command.flags,
    ...GLOBAL_FLAGS,
    ...(command.cli.startsJob ? JOB_FLAGS : []),
    ...(command.cli.confirm ? CONFIRM_FLAGS : []),
  ];
}

function coerce(flag: FlagSpec, raw: string): unknown {
  if (flag.fromFile) return raw;
  switch (flag.kind) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new UsageError(`--${flag.flag} takes a number, not "${raw}".`);
      return n;
    }
    case 'boolean':
      if (['true', 'yes', '1'].includes(raw)) return true;
      if (['false', 'no', '0'].includes(raw)) return false;
      throw new UsageError(`--${flag.flag} takes true or false, not "${raw}".`);
    case 'enum':
      if (!flag.choices?.includes(raw))
        throw new UsageError(
          `--${flag.flag} takes one of ${flag.choices?.join(', ')}, not "${raw}".`,
          didYouMean(raw, flag.choices ?? []) ? `Did you mean ${didYouMean(raw, flag.choices ?? [])}?` : undefined,
        );
      return raw;
    default:
      return raw;
  }
}

export function parseWords(words: string[]): Parsed {
  if (words.length === 0) throw new UsageError('No command given.', 'Type `help` to list the commands.');
  const found = findCommand(words);
  if (!found) {
    const known = [...new Set(commands.map((c) => c.words.slice(0, Math.min(words.length, c.words.length)).join(' ')))];
    const tried = words.slice(0, 2).join(' ');
    const guess = didYouMean(tried, known) ?? didYouMean(words[0], [...new Set(commands.map((c) => c.words[0]))]);
    throw new UsageError(
      `Unknown command "${words.slice(0, 2).join(' ')}".`,
      guess ? `Did you mean \`${guess}\`? Type \`help\` to list the commands.` : 'Type `help` to list the commands.',
    );
  }
  const { command, used } = found;
  const flags = flagsOf(command);
  const input: Record<string, unknown> = {};
  const files: Record<string, string> = {};
  const meta = { json: false, help: false, detach: false, yes: false };
  const positional: string[] = [];
  const rest = words.slice(used);
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (word === '-h') {
      meta.help = true;
      continue;
    }
    if (word === '--') {
      positional.push(...rest.slice(i + 1));
      break;
    }
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    let name = word.slice(2, eq > 0 ? eq : undefined);
    let negated = false;
    let flag = flags.find((f) => f.flag === name);
    if (!flag && name.startsWith('no-')) {
      flag = flags.find((f) => f.flag === name.slice(3) && f.kind === 'boolean');
      negated = !!flag;
      if (flag) name = name.slice(3);
    }
    if (!flag) {
      const guess = didYouMean(
        name,
        flags.map((f) => f.flag),
      );
      throw new UsageError(
        `Unknown option --${name} for \`${command.words.join(' ')}\`.`,
        guess ? `Did you mean --${guess}?` : `See \`help ${command.words.join(' ')}\`.`,
      );
    }
    let value: unknown;
    if (flag.kind === 'boolean') value = eq > 0 ? coerce(flag, word.slice(eq + 1)) : !negated;
    else {
      const raw = eq > 0 ? word.slice(eq + 1) : rest[++i];
      if (raw === undefined)
        throw new UsageError(
          `--${flag.flag} needs a value.`,
          flag.description ? `It is ${withThe(flag.description)}.` : undefined,
        );
      value = coerce(flag, raw);
    }
    if (flag.field in meta && [...GLOBAL_FLAGS, ...JOB_FLAGS, ...CONFIRM_FLAGS].includes(flag))
      (meta as Record<string, boolean>)[flag.field] = value as boolean;
    else if (flag.fromFile) files[flag.field] = value as string;
    else if (flag.kind === 'array') input[flag.field] = [...((input[flag.field] as unknown[]) ?? []), value];
    else input[flag.field] = value;
  }
  if (positional.length > command.positional.length)
    throw new UsageError(
      `Too many arguments for \`${command.words.join(' ')}\`: ${positional.slice(command.positional.length).join(' ')}.`,
      `See \`help ${command.words.join(' ')}\`.`,
    );
  command.positional.forEach((p, i) => {
    if (positional[i] !== undefined) input[p.field] = coerce(p, positional[i]);
  });
  if (!meta.help) {
    for (const f of [...command.positional, ...command.flags.filter((x) => !x.fromFile)]) {
      const viaFile = command.flags.some((x) => x.fromFile && x.field === f.field && files[f.field] !== undefined);
      if (f.required && input[f.field] === undefined && !viaFile) {
        const fileAlt = command.flags.find((x) => x.fromFile && x.field === f.field);
        const how = command.positional.includes(f) ? f.field.toUpperCase() : `--${f.flag}`;
        throw new UsageError(
          `\`${command.words.join(' ')}\` needs ${how}${fileAlt ? ` (or --${fileAlt.flag} FILE)` : ''}${f.description ? `: ${withThe(f.description)}` : ''}.`,
        );
      }
    }
  }
  return { command, input, files, ...meta };
}

/** Maps a server-side field error ("sizeMiB: ...") back to the flag the user typed. */
export function flagNameFor(command: Command, field: string): string {
  return command.positional.some((p) => p.field === field) ? field.toUpperCase() : `--${kebab(field)}`;
}
