/**
 * The cloud lost mid-failover, against real Azurite: the storage account goes dark the moment the first restore job
 * starts (a loopback proxy refuses everything at once, so the moment is exact) and Azurite itself is stopped. The
 * failover fails with a message naming the share and the cause, stays resumable and holds both devices; once
 * Azurite is back, failover.resume resumes the same restore jobs and the target is byte-identical.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/engine';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  startFaultProxy,
  type Azurite,
  type FaultProxy,
} from '../helpers/azurite';
import { until, buildMain } from '../helpers/home';
import { describeTree } from '../helpers/tree';
import { deactivate, fileServer, fileServerWithData, openEngine, settle, value } from '../integration/failover-setup';

let az: Azurite;
let proxy: FaultProxy;
let engine: Engine | undefined;

beforeAll(async () => {
  buildMain();
  az = await startAzurite();
  proxy = await startFaultProxy(az.port);
  // Fail within seconds rather than the default two minutes of retries.
  process.env.LIFEBOAT_STORAGE_RETRY_SECONDS = '3';
}, 120_000);

afterAll(async () => {
  delete process.env.LIFEBOAT_STORAGE_RETRY_SECONDS;
  await engine?.close();
  await proxy?.close();
  await az?.dispose();
});

describe('Azurite stopped mid-failover', () => {
  it('fails the failover clearly and resumably, and failover.resume finishes it byte-identical', async () => {
    const { engine: e, key } = await openEngine();
    engine = e;
    value(
      await e.call('accounts.add', {
        name: 'az',
        accountName: AZURITE_ACCOUNT,
        accountKey: AZURITE_KEY,
        endpoint: proxy.endpoint,
        container: 'failover',
        createContainer: true,
      }),
    );
    const { docs, pinned } = await fileServerWithData(e, key, 'fs1', { account: 'az' });
    const before = { docs: describeTree(docs), pinned: describeTree(pinned) };
    await deactivate(e, 'fs1');
    const target = await fileServer(e, key, 'fs2');

    let outage: Promise<void> | undefined;
    const off = e.bus.on((ev) => {
      if (outage || ev.type !== 'job.updated' || ev.job.type !== 'backup.restore' || ev.job.status !== 'running')
        return;
      proxy.inject(1_000_000, 'busy');
      // Then the real outage: Azurite down, the proxy passing requests on to a closed port.
      outage = az.stop('graceful').then(() => proxy.inject(0));
    });
    const job = value(await e.call('failover.start', { source: 'fs1', target: 'fs2' }));
    await until('the outage', () => !!outage);
    await outage;
    off();
    const failed = await settle(e, job, 'failed');
    expect(failed.error!.message).toMatch(
      /^The failover of fs1 to fs2 stopped: restoring the share (pinned|docs) failed \(job job-\w+\): /,
    );
    expect(failed.error!.message).toContain(`127.0.0.1:${proxy.port}`);
    expect(failed.error!.hint).toContain(`lifeboat failover resume ${job.id}`);
    expect(failed.resumable).toBe(true);
    expect(failed.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'pending', 'pending']);
    const restores = e.runner.store
      .list({ parentId: job.id, limit: 10 })
      .map((r) => r.id)
      .sort();
    expect(restores).toHaveLength(2);
    expect(e.devices.store.require('fs2').failover_job_id).toBe(job.id);
    expect(e.devices.store.require('fs1').status).toBe('deactivated');
    // A critical alert says so, with what to do.
    expect(value(await e.call('alerts.list', { all: false }))).toContainEqual(
      expect.objectContaining({ severity: 'critical', jobId: job.id }),
    );

    await az.start();
    const resumed = await settle(e, value(await e.call('failover.resume', { id: job.id })));
    expect(resumed.attempts).toBe(2);
    expect(
      e.runner.store
        .list({ parentId: job.id, limit: 10 })
        .map((r) => r.id)
        .sort(),
    ).toEqual(restores);
    expect(describeTree(path.join(target.root, 'shares', 'docs'))).toEqual(before.docs);
    expect(describeTree(path.join(target.root, 'shares', 'pinned'))).toEqual(before.pinned);
    expect(e.devices.store.require('fs2')).toMatchObject({
      status: 'online',
      replaces: e.devices.store.byName('fs1', { includeDeleted: true })!.id,
      failover_job_id: null,
    });
  }, 300_000);
});
