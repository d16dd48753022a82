/**
 * Checking a storage account: structure, or every byte with readData, and the catalog against the account (a backup
 * listed here whose manifest is gone). A check that finds problems fails, and its error names each damaged backup and
 * file, so the CLI exits non-zero and the alert says what to restore from elsewhere; each backup it finds unreadable
 * is marked in the catalog, so `backup list` says so.
 */
import { z } from 'zod';
import type { AccountManager } from './manager';
import { LifeboatError } from '../../shared/errors';
import { checkInPool } from '../backups/maintenance';
import type { CheckProblem, CheckReport } from '../repo/check';
import type { JobKind } from '../jobs/types';
import { formatBytes } from '../../shared/units';

const Params = z.object({ accountId: z.string(), accountName: z.string(), readData: z.boolean() });
type Params = z.infer<typeof Params>;
interface State {
  report?: Omit<CheckReport, 'problems'> & { problems: number };
}

const MAX_LISTED = 20;

/** How a mark found by reading every pack ends: a structure-only check cannot see that damage, so it keeps the mark. */
const READ_ALL = ' (found reading all data)';

/** What `backup list` says of each backup the problems touch (a lost index alone is not: a restore rebuilds it). */
export function problemsByBackup(problems: CheckProblem[], readData = false): Map<string, string> {
  const files = new Map<string, number>();
  const out = new Map<string, string>();
  for (const p of problems) {
    if (p.kind === 'missing-snapshot')
      for (const a of p.affected) out.set(a.snapshot, 'manifest missing from the account');
    else if (p.kind === 'damaged-snapshot') for (const a of p.affected) out.set(a.snapshot, 'manifest damaged');
    else if (p.kind !== 'unindexed-pack')
      for (const a of p.affected) files.set(a.snapshot, (files.get(a.snapshot) ?? 0) + 1);
  }
  for (const [id, n] of files)
    if (!out.has(id)) out.set(id, `${n} file(s) need damaged or missing data${readData ? READ_ALL : ''}`);
  return out;
}

/** What to do next, for the kinds of problem found. */
function nextSteps(problems: CheckProblem[], account: string): string {
  const kinds = new Set(problems.map((p) => p.kind));
  const steps: string[] = [];
  if (kinds.has('missing-snapshot'))
    steps.push(`\`lifeboat account rebuild-catalog ${account}\` takes backups whose manifest is missing off the list.`);
  if (kinds.has('unindexed-pack') || kinds.has('damaged-index'))
    steps.push('A lost index is rebuilt from the packs by the next restore, which writes it back.');
  if (kinds.has('damaged-config'))
    steps.push(
      'The configuration still opens with this key; a copy of `config` from before the damage can replace it.',
    );
  if ([...kinds].some((k) => !['missing-snapshot', 'unindexed-pack', 'damaged-index', 'damaged-config'].includes(k)))
    steps.push('Restore the named files from another backup; back up the sources again to replace the damaged data.');
  return steps.join(' ');
}

/** "damaged chunk in data/ab/…: backup X share/file-0.bin, backup Y share/a.txt" — one line per problem. */
export function describeProblems(problems: CheckProblem[]): string {
  const lines = problems.slice(0, MAX_LISTED).map((p) => {
    const users = p.affected.map((a) => `backup ${a.snapshot}${a.source ? ` ${a.source}/${a.path}` : ''}`);
    return `${p.kind} ${p.object}: ${p.message}${users.length ? ` Affects ${users.slice(0, MAX_LISTED).join(', ')}${users.length > MAX_LISTED ? ', …' : ''}.` : ''}`;
  });
  return lines.join('\n') + (problems.length > MAX_LISTED ? `\n… and ${problems.length - MAX_LISTED} more` : '');
}

export function accountCheckJob(accounts: AccountManager): JobKind<Params, State> {
  return {
    type: 'account.check',
    params: Params,
    title: (p) => `Check storage account ${p.accountName}${p.readData ? ' (read all data)' : ''}`,
    object: (p) => ({ kind: 'storage-account', name: p.accountName }),
    resumable: false,
    steps: [
      {
        name: 'check',
        title: 'Check packs, index and backups',
        run: async (ctx) => {
          const row = accounts.store.byId(ctx.params.accountId);
          if (!row)
            throw new LifeboatError('not_found', `The storage account "${ctx.params.accountName}" was removed.`);
          // A prune halfway through would show up as missing packs: check the account before or after it, not during.
          await accounts.waitShared(row.id, ctx.signal);
          // Opened here only to fail early, naming the account, when it holds another repository or the key is wrong.
          await accounts.repository(row, { loadIndex: false });
          // The check itself (index, manifests, with readData every pack) runs in a worker thread: reading a
          // million-file manifest or hashing packs would otherwise stall the main thread for seconds.
          const target = accounts.repoTarget(row);
          const report = await accounts.withLease(
            row,
            'shared',
            `check ${ctx.jobId}`,
            () =>
              checkInPool(ctx.workers, target, {
                readData: ctx.params.readData,
                catalog: accounts.catalog.ids(row.id),
                signal: ctx.signal,
                throwIfStopped: () => ctx.throwIfStopped(),
                onProgress: (done, total) =>
                  ctx.progress({ fraction: total ? done / total : 1, message: `Read ${done} of ${total} packs` }),
              }),
            ctx.signal,
          );
          ctx.checkpoint({ report: { ...report, problems: report.problems.length } });
          const marks = problemsByBackup(report.problems, ctx.params.readData);
          if (!ctx.params.readData)
            for (const b of accounts.catalog.list(row.id))
              if (b.problem?.endsWith(READ_ALL) && !marks.has(b.id)) marks.set(b.id, b.problem);
          accounts.catalog.markProblems(row.id, marks);
          const summary = `${report.snapshots} backups, ${report.packs} packs, ${report.chunks} chunks${report.bytesRead ? `, ${formatBytes(report.bytesRead)} read` : ''}`;
          if (!report.ok) {
            const damagedBackups = new Set(report.problems.flatMap((p) => p.affected.map((a) => a.snapshot)));
            throw new LifeboatError(
              'io_error',
              `The storage account "${row.name}" has ${report.problems.length} problem(s) affecting ${damagedBackups.size} backup(s) (${summary}):\n${describeProblems(report.problems)}`,
              nextSteps(report.problems, row.name),
            );
          }
          ctx.progress({
            fraction: 1,
            message: `No problems: ${summary}${report.unreferencedPacks ? `; ${report.unreferencedPacks} unreferenced pack(s) left by interrupted backups (prune removes them)` : ''}.`,
          });
        },
      },
    ],
  };
}
