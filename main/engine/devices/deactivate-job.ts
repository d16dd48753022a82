/**
 * Deactivation: a final backup (a planned failover then loses nothing), every share and volume offline
 * (read-only on disk), backups stopped, then the status change, in one transaction. Deactivation is permanent,
 * but until that last step a cancel puts back what the job changed: the device stays online and usable. The final
 * backup is recorded as a manual one and becomes 'final' only in that last transaction, so a deactivation that
 * fails or is cancelled earlier never leaves a backup that a failover would call planned.
 */
import { z } from 'zod';
import type { DeviceBackupDeps } from './backup-deps';
import type { JobKind } from '../jobs/types';
import type { DeviceBackupState, DeviceBackupSteps } from './backup-job';
import { deviceFaultPoint } from './backup-retention';
import { policyOf } from './schedule';

const Params = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  accountId: z.string().nullable(),
  finalBackup: z.boolean(),
});
export type DeactivateParams = z.infer<typeof Params>;

interface State extends DeviceBackupState {
  /** The shares and volumes this job took offline (the others were already), to bring back on a cancel. */
  tookOffline?: Array<{ kind: 'share' | 'volume'; name: string }>;
  /** The policy and next backup time before backups were stopped, for the same reason. */
  policyBefore?: { policy: string; nextAt: string | null };
  deactivated?: boolean;
}

export function deactivateJob(deps: DeviceBackupDeps, backups: DeviceBackupSteps): JobKind<DeactivateParams, State> {
  const device = (id: string) => deps.devices.store.byId(id);
  return {
    type: 'device.deactivate',
    params: Params,
    title: (p) => `Deactivate device ${p.deviceName}`,
    object: (p) => ({ kind: 'device', name: p.deviceName }),
    cancellable: (s) => (s.deactivated ? 'the device is already deactivated.' : true),
    steps: [
      {
        name: 'final-backup',
        title: 'Take a final backup of every share or volume',
        weight: 20,
        run: async (ctx) => {
          if (!ctx.params.finalBackup) return ctx.progress({ fraction: 1, message: 'No final backup was asked for.' });
          await backups.heat(ctx, ctx.params.deviceId, 'final');
          await backups.backup(ctx, ctx.params.deviceId, 'final');
          await backups.catalog(ctx, ctx.params.deviceId, 'final');
        },
      },
      {
        name: 'offline',
        title: 'Take every share or volume offline (read-only)',
        run: async (ctx) => {
          const d = device(ctx.params.deviceId);
          if (!d || d.status === 'deactivated') return;
          const items = [
            ...deps.devices.store.shares(d.id).map((row) => ({ kind: 'share' as const, row })),
            ...deps.devices.store.volumes(d.id).map((row) => ({ kind: 'volume' as const, row })),
          ];
          // Record what is about to change first: a cancel mid-way must bring back exactly these.
          if (!ctx.state.tookOffline)
            ctx.checkpoint({
              tookOffline: items.filter((i) => i.row.online).map((i) => ({ kind: i.kind, name: i.row.name })),
            });
          for (const i of items) await deps.devices.items.applyOnline(d, i.kind, i.row, false);
          deps.devices.changed(d.name);
          ctx.progress({
            fraction: 1,
            message: `${items.length} ${d.type === 'file' ? 'share' : 'volume'}(s) offline and read-only`,
          });
        },
      },
      {
        name: 'stop-backups',
        title: 'Stop scheduled backups',
        run: async (ctx) => {
          const d = device(ctx.params.deviceId);
          if (!d || d.status === 'deactivated') return;
          if (!ctx.state.policyBefore) ctx.checkpoint({ policyBefore: { policy: d.policy, nextAt: d.next_backup_at } });
          const { nextAt: _nextAt, ...policy } = policyOf(d);
          deps.devices.store.update(d.id, {
            policy: JSON.stringify({ ...policy, frequency: 'off' }),
            next_backup_at: null,
          });
        },
      },
      {
        name: 'deactivate',
        title: 'Mark the device deactivated',
        run: async (ctx) => {
          await deviceFaultPoint(deps, ctx, 'deactivate');
          deps.db.transaction(() => {
            const d = device(ctx.params.deviceId);
            if (!d || d.status === 'deactivated') return;
            if (ctx.params.finalBackup && ctx.state.snapshotId) deps.backups.markFinal(ctx.state.snapshotId, d.id);
            const { nextAt: _nextAt, ...policy } = policyOf(d);
            deps.devices.store.update(d.id, {
              status: 'deactivated',
              deactivated_at: new Date().toISOString(),
              policy: JSON.stringify({ ...policy, frequency: 'off' }),
              next_backup_at: null,
            });
            deps.alerts.raise({
              severity: 'info',
              title: `Device ${d.name} deactivated`,
              message: `The device ${d.name} is deactivated: its shares and volumes are offline and read-only, and it takes no more backups.${ctx.params.finalBackup ? ' A final backup was taken, so a failover loses no data.' : ''}`,
              hint: `Next, fail it over to another device: \`lifeboat failover targets ${d.name}\`.`,
              objectKind: 'device',
              objectName: d.name,
              jobId: ctx.jobId,
            });
            // The result names the final backup (null without one): a script fails over from it without listing backups.
            ctx.checkpoint({
              deactivated: true,
              result: {
                ...ctx.state.result,
                device: d.name,
                finalBackupId: ctx.params.finalBackup ? (ctx.state.snapshotId ?? null) : null,
              },
            });
          })();
          deps.devices.changed(ctx.params.deviceName);
        },
      },
    ],
    cleanup: async (ctx) => {
      if (ctx.params.finalBackup) await backups.cleanup(ctx, ctx.params.deviceId, 'final');
      const d = device(ctx.params.deviceId);
      if (!d || d.status === 'deactivated') return;
      for (const i of ctx.state.tookOffline ?? []) {
        const row =
          i.kind === 'share' ? deps.devices.store.share(d.id, i.name) : deps.devices.store.volume(d.id, i.name);
        if (row) await deps.devices.items.applyOnline(d, i.kind, row, true);
      }
      if (ctx.state.policyBefore)
        deps.devices.store.update(d.id, {
          policy: ctx.state.policyBefore.policy,
          next_backup_at: ctx.state.policyBefore.nextAt,
        });
      deps.devices.changed(d.name);
    },
  };
}
