/**
 * The Lifeboat command language: the same commands, flags and output in the system terminal (`lifeboat …`) and in
 * the in-app console. Nothing here reaches a system shell: every command is one API call from the contract.
 */
import { contract } from '../contract';
import type { BackupFolder, Job } from '../schemas';
import type { FailoverPrechecks, FailoverTargets } from '../device-schemas';
import { commands, GLOBAL_FLAGS, usage, type Command } from './commands';
import { followJob } from './follow';
import { colour, formatError, jobSummary, noColour, record, table, type Style } from './format';
import type { CommandIO } from './io';
import { didYouMean, flagNameFor, flagsOf, parseWords, UsageError } from './parse';
import { quoteWord, tokenize, TokenizeError } from './tokenize';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Commands of the language itself, not API calls: help, and running a script. */
export const LANGUAGE_COMMANDS = ['help', 'run'];

function helpText(words: string[], st: Style): string {
  if (words.length === 0) {
    const groups = new Map<string, Command[]>();
    for (const c of commands) groups.set(c.words[0], [...(groups.get(c.words[0]) ?? []), c]);
    let out = `${st.bold('Lifeboat commands')} (type \`help COMMAND\` for its options)\n`;
    for (const [, list] of groups) for (const c of list) out += `  ${c.words.join(' ').padEnd(26)} ${c.summary}\n`;
    out += `  ${'run FILE'.padEnd(26)} Run a script of commands, one per line (# comments; --keep-going)\n`;
    out += `  ${'help [COMMAND]'.padEnd(26)} Show this list, or a command's usage\n`;
    out += `Every command takes --json; commands that start a job follow it unless --detach.\n`;
    return out;
  }
  if (words[0] === 'run')
    return 'Usage: lifeboat run FILE [--keep-going] [--json]\nRuns each line of FILE as a command; stops at the first error unless --keep-going.\n';
  const found =
    commands.find((c) => c.words.join(' ') === words.join(' ')) ??
    commands.find((c) => c.words.join(' ').startsWith(words.join(' ')));
  if (!found) {
    const guess = didYouMean(
      words.join(' '),
      commands.map((c) => c.words.join(' ')),
    );
    return formatError(
      {
        code: 'invalid_input',
        message: `No command "${words.join(' ')}".`,
        hint: guess ? `Did you mean \`${guess}\`?` : 'Type `help` to list the commands.',
      },
      st,
    );
  }
  let out = `${found.summary}\n\nUsage: ${usage(found)}\n`;
  if (found.positional.length)
    out += `\nArguments:\n${found.positional.map((p) => `  ${p.field.toUpperCase().padEnd(24)} ${p.description}`).join('\n')}\n`;
  out += '\nOptions:\n';
  for (const f of flagsOf(found)) {
    const value =
      f.kind === 'boolean'
        ? ''
        : f.kind === 'number'
          ? ' N'
          : f.choices
            ? ` ${f.choices.join('|')}`
            : f.fromFile
              ? ' FILE'
              : ' VALUE';
    const dflt =
      f.defaultValue !== undefined && f.kind !== 'boolean' ? ` (default ${JSON.stringify(f.defaultValue)})` : '';
    out += `  ${`--${f.flag}${value}`.padEnd(26)} ${f.description}${f.required ? ' (required)' : ''}${dflt}\n`;
  }
  return out;
}

function render(command: Command, value: unknown, st: Style, columns: number): string {
  const view = command.cli.view;
  if (Array.isArray(value) && command.cli.columns)
    return table(value as Record<string, unknown>[], command.cli.columns, columns);
  if (view === 'job') {
    const v = value as Job | { job: Job; children: Job[] };
    return 'job' in v ? jobSummary(v.job, st, v.children) : jobSummary(v, st);
  }
  if (view === 'service-created') {
    const v = value as { service: { id: string; name: string }; registrationKey: string; sdek: string };
    return (
      `Service "${v.service.name}" created (${v.service.id}).\n` +
      `Service registration key: ${v.registrationKey}\n` +
      `Service data encryption key (SDEK): ${st.bold(v.sdek)}\n` +
      st.yellow(
        'Keep the SDEK safe: it is shown only this once, and without it no backup can be read on another installation.\n',
      ) +
      `Confirm you kept it with: lifeboat service confirm-key LAST4\n`
    );
  }
  if (view === 'files') {
    const v = value as BackupFolder;
    let out = `${st.bold(`${v.source}/${v.path}`)}: ${v.total} ${v.total === 1 ? 'entry' : 'entries'}\n`;
    out += table(
      v.entries.map((e) => ({ ...e, name: e.type === 'dir' ? `${e.name}/` : e.name })),
      ['type', 'name', 'size', 'files', 'modifiedAt'],
      columns,
    );
    if (v.total > v.entries.length)
      out += st.dim(`  … and ${v.total - v.entries.length} more: raise --limit, or list a subfolder.\n`);
    if (v.kind === 'tree')
      out += st.dim(
        `  Restore one with: lifeboat backup restore ${v.backup} --source ${v.source} --path PATH --to FOLDER\n`,
      );
    return out;
  }
  if (view === 'targets') {
    const v = value as FailoverTargets;
    const reasons = (list: { code: string; message: string }[]) =>
      list.map((r) => `      - ${r.message} (${r.code})\n`).join('');
    let out = v.compatible.length
      ? `Compatible target devices for ${v.source}:\n${v.compatible.map((c) => `  ${st.green(c.device)}\n${reasons(c.warnings)}`).join('')}`
      : st.yellow(`There are no compatible target devices for ${v.source}.\n`);
    if (v.excluded.length)
      out += `Not compatible:\n${v.excluded.map((x) => `  ${x.device}\n${reasons(x.reasons)}`).join('')}`;
    return out;
  }
  if (view === 'prechecks') {
    // A checklist: one line per check, its fix and command under the ones that did not pass.
    const v = value as FailoverPrechecks;
    const mark = { pass: st.green('PASS'), warn: st.yellow('WARN'), fail: st.red('FAIL') };
    const lines = v.checks.map(
      (c) =>
        `  ${mark[c.status]} ${c.name}: ${c.message}\n${c.status !== 'pass' && c.fix ? `       fix: ${c.fix}\n` : ''}${c.status !== 'pass' && c.command ? `       ${st.dim(c.command)}\n` : ''}`,
    );
    const failed = v.checks.filter((c) => c.status === 'fail').length;
    const verdict = failed
      ? st.red(`${failed} precheck(s) failed: fix them, then run the prechecks again.`)
      : st.green('The failover can start.');
    return `Prechecks of the failover of ${v.source} to ${v.target} (backup ${v.backupId}):\n${lines.join('')}${verdict}\n`;
  }
  if (view === 'script') return (value as { text: string }).text;
  if (view === 'lines') return (value as string[]).map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join('');
  return record(value);
}

async function runParsed(words: string[], io: CommandIO, st: Style): Promise<number> {
  const err = (text: string) => (io.writeError ?? io.write)(text);
  if (words[0] === 'help') {
    io.write(
      helpText(
        words.slice(1).filter((w) => !w.startsWith('-')),
        st,
      ),
    );
    return EXIT_OK;
  }
  if (words[0] === 'run') return runScript(words.slice(1), io, st);
  let parsed;
  try {
    parsed = parseWords(words);
  } catch (e) {
    if (e instanceof UsageError) {
      const json = words.includes('--json');
      if (json)
        io.write(
          JSON.stringify({ ok: false, error: { code: 'invalid_input', message: e.message, hint: e.hint } }, null, 2) +
            '\n',
        );
      else err(formatError({ code: 'invalid_input', message: e.message, hint: e.hint }, st));
      return EXIT_USAGE;
    }
    throw e;
  }
  const { command } = parsed;
  if (parsed.help) {
    io.write(helpText(command.words, st));
    return EXIT_OK;
  }
  const input = { ...parsed.input };
  for (const [field, file] of Object.entries(parsed.files)) {
    if (!io.readFile) {
      err(
        formatError(
          {
            code: 'not_allowed',
            message: 'This console cannot read files.',
            hint: `Give the value itself with --${field} instead.`,
          },
          st,
        ),
      );
      return EXIT_USAGE;
    }
    try {
      input[field] = (await io.readFile(file)).trim();
    } catch (e) {
      err(
        formatError(
          { code: 'not_found', message: `Cannot read ${file}: ${(e as Error).message}`, hint: 'Check the file name.' },
          st,
        ),
      );
      return EXIT_FAILED;
    }
  }
  for (const field of command.cli.paths ?? []) {
    const resolve = io.resolvePath;
    if (!resolve) continue;
    if (typeof input[field] === 'string') input[field] = resolve(input[field] as string);
    else if (Array.isArray(input[field]))
      input[field] = (input[field] as unknown[]).map((v) => (typeof v === 'string' ? resolve(v) : v)); // repeatable path flags (--source)
  }
  // A dry run changes nothing, so it needs no confirmation.
  if (
    command.cli.confirm &&
    !parsed.yes &&
    input.dryRun !== true &&
    !(await confirmed(command.cli.confirm, input, io, st))
  )
    return EXIT_FAILED;
  const result = await io.call(command.call, input);
  if (!result.ok) {
    const error = { ...result.error };
    // Name the flag the user typed rather than the schema field.
    if (error.code === 'invalid_input')
      error.message = error.message.replace(/^(\w+):/, (_m, f: string) => `${flagNameFor(command, f)}:`);
    if (parsed.json) io.write(JSON.stringify({ ok: false, error }, null, 2) + '\n');
    else err(formatError(error, st));
    return error.code === 'invalid_input' ? EXIT_USAGE : EXIT_FAILED;
  }
  const job = command.cli.startsJob ? (result.value as Job) : null;
  if (job && !parsed.detach && command.call !== 'jobs.wait') {
    if (!parsed.json) io.write(`Started ${job.title} (${job.id}). Ctrl+C stops following; --detach returns at once.\n`);
    const followed = await followJob(job.id, parsed.json ? { ...io, write: () => undefined } : io, st);
    if (parsed.json) io.write(JSON.stringify(followed.job ?? job, null, 2) + '\n');
    if (followed.detached) return EXIT_OK;
    // A job that stopped to wait for someone (a recovery plan's manual action, named in its result) has not failed.
    const waiting = followed.job?.status === 'paused' && !!followed.job.result?.waiting;
    return followed.job?.status === 'succeeded' || waiting ? EXIT_OK : EXIT_FAILED;
  }
  if (parsed.json) io.write(JSON.stringify(result.value, null, 2) + '\n');
  else io.write(render(command, result.value, st, io.columns));
  if (command.call === 'jobs.wait') return (result.value as Job).status === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  return EXIT_OK;
}

/** Asks before a destructive command; without anyone to ask, --yes is required. */
async function confirmed(template: string, input: Record<string, unknown>, io: CommandIO, st: Style): Promise<boolean> {
  const question = template.replace(/\{(\w+)\}/g, (_m, field: string) => String(input[field] ?? ''));
  const err = (text: string) => (io.writeError ?? io.write)(text);
  if (!io.prompt) {
    err(
      formatError(
        { code: 'invalid_input', message: `${question} Nobody can answer here.`, hint: 'Pass --yes to confirm.' },
        st,
      ),
    );
    return false;
  }
  const answer = await io.prompt(`${question} [y/N] `);
  if (answer !== null && /^y(es)?$/i.test(answer.trim())) return true;
  err(
    formatError(
      {
        code: 'cancelled',
        message: 'Not confirmed: nothing was changed.',
        hint: answer === null ? 'Pass --yes to confirm.' : undefined,
      },
      st,
    ),
  );
  return false;
}

async function runScript(args: string[], io: CommandIO, st: Style): Promise<number> {
  const keepGoing = args.includes('--keep-going');
  const file = args.find((a) => !a.startsWith('--'));
  const err = (text: string) => (io.writeError ?? io.write)(text);
  if (!file) {
    err(formatError({ code: 'invalid_input', message: '`run` needs FILE: the script to run.' }, st));
    return EXIT_USAGE;
  }
  // The in-app console cannot read files itself: the engine reads the script for it.
  const viaEngine = async (p: string) => {
    const r = await io.call('scripts.read', { path: p });
    if (!r.ok) throw new Error(`${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}`);
    return (r.value as { text: string }).text;
  };
  let text: string;
  try {
    text = await (io.readFile ?? viaEngine)(io.resolvePath ? io.resolvePath(file) : file);
  } catch (e) {
    err(
      formatError(
        {
          code: 'not_found',
          message: `Cannot read the script ${file}: ${(e as Error).message}`,
          hint: 'Check the file name.',
        },
        st,
      ),
    );
    return EXIT_FAILED;
  }
  let worst = EXIT_OK;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    if (!lines[n].trim() || lines[n].trim().startsWith('#')) continue;
    if (io.signal?.aborted) return EXIT_FAILED;
    const code = await run(lines[n], io);
    if (code !== EXIT_OK) {
      worst = Math.max(worst, code);
      if (!keepGoing) {
        err(st.red(`${file}:${n + 1}: stopped at this line (exit ${code}); --keep-going runs the rest.\n`));
        return code;
      }
    }
  }
  return worst;
}

/** Runs one command line (tokenized here) or an argv (already split by the shell). */
export async function run(line: string | string[], io: CommandIO): Promise<number> {
  const st = io.interactive ? colour : noColour;
  let words: string[];
  try {
    words = typeof line === 'string' ? tokenize(line).map((t) => t.text) : line;
  } catch (e) {
    if (e instanceof TokenizeError) {
      (io.writeError ?? io.write)(formatError({ code: 'invalid_input', message: e.message }, st));
      return EXIT_USAGE;
    }
    throw e;
  }
  if (words.length === 0) return EXIT_OK;
  return runParsed(words, io, st);
}

const LOOKUPS: Record<string, { call: string; id: (v: Record<string, unknown>) => string }> = {
  job: { call: 'jobs.list', id: (v) => String(v.id) },
  alert: { call: 'alerts.list', id: (v) => String(v.id) },
  account: { call: 'accounts.list', id: (v) => String(v.name) },
  backup: { call: 'backups.list', id: (v) => String(v.id) },
  device: { call: 'devices.list', id: (v) => String(v.name) },
  item: { call: 'items.list', id: (v) => String(v.name) },
  site: { call: 'sites.list', id: (v) => String(v.name) },
  policy: { call: 'policies.list', id: (v) => String(v.name) },
};

async function lookup(kind: string, io: CommandIO): Promise<string[]> {
  const source = LOOKUPS[kind];
  if (!source) return [];
  const result = await io.call(source.call, {});
  return result.ok && Array.isArray(result.value) ? (result.value as Record<string, unknown>[]).map(source.id) : [];
}

/** Completions for the word at the cursor: command words, flags, enum values and live object names. */
export async function complete(
  line: string,
  cursor: number,
  io: CommandIO,
): Promise<{ from: number; items: string[] }> {
  const before = line.slice(0, cursor);
  const tokens = tokenize(before, { partial: true });
  const endsWithSpace = /\s$/.test(before) || before.length === 0;
  const current = endsWithSpace ? '' : (tokens.pop()?.text ?? '');
  const from = endsWithSpace ? cursor : (tokenize(before, { partial: true }).at(-1)?.start ?? cursor);
  const words = tokens.map((t) => t.text);
  const pick = (all: string[]) => ({
    from,
    items: [...new Set(all)]
      .filter((c) => c.startsWith(current))
      .sort()
      .map(quoteWord),
  });

  // Still naming the command: offer the next command word.
  const candidates = commands.filter((c) => words.every((w, i) => c.words[i] === w) && c.words.length > words.length);
  const exact = commands
    .filter((c) => c.words.length <= words.length && c.words.every((w, i) => words[i] === w))
    .sort((a, b) => b.words.length - a.words.length)[0];
  if (!exact) {
    const next = candidates.map((c) => c.words[words.length]);
    if (words.length === 0) next.push(...LANGUAGE_COMMANDS);
    if (words[0] === 'help')
      return pick(
        commands
          .filter((c) => words.slice(1).every((w, i) => c.words[i] === w))
          .map((c) => c.words[words.length - 1])
          .filter(Boolean),
      );
    return pick(next);
  }
  const args = words.slice(exact.words.length);
  const flags = flagsOf(exact);
  if (current.startsWith('-')) return pick(flags.map((f) => `--${f.flag}`));
  const prev = args.at(-1);
  const flag = prev?.startsWith('--') ? flags.find((f) => f.flag === prev.slice(2)) : undefined;
  if (flag && flag.kind !== 'boolean') {
    if (flag.choices) return pick(flag.choices);
    const kind = exact.cli.lookups?.[flag.field];
    return pick(kind ? await lookup(kind, io) : []);
  }
  // A positional argument: count the positionals already given.
  let given = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      const f = flags.find((x) => x.flag === args[i].slice(2));
      if (f && f.kind !== 'boolean' && !args[i].includes('=')) i++;
    } else given++;
  }
  const positional = exact.positional[given];
  if (positional) {
    const kind = exact.cli.lookups?.[positional.field];
    if (kind) return pick(await lookup(kind, io));
    if (positional.choices) return pick(positional.choices);
  }
  return pick(current === '' ? [] : flags.map((f) => `--${f.flag}`));
}

/** Every contract call has a command and every command an API call (checked by a test). */
export function contractCoverage(): { callsWithoutCommand: string[]; commandsWithoutCall: string[] } {
  const named = new Set(commands.map((c) => c.call));
  return {
    callsWithoutCommand: Object.keys(contract).filter((c) => !named.has(c as Command['call'])),
    commandsWithoutCall: commands.filter((c) => !(c.call in contract)).map((c) => c.words.join(' ')),
  };
}

export { GLOBAL_FLAGS };
