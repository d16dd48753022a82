import { describe, expect, it } from 'vitest';
import { assessTarget, refusal, type SourceFacts, type TargetFacts } from '../../main/engine/failover/compatibility';
import { dnsChecklist, restoreOrder, rtoSeconds, RTO_OVERHEAD_SECONDS } from '../../main/engine/failover/plan';
import { iqnProblem, iscsiPrechecks, precheckFailure, spacePrecheck } from '../../main/engine/failover/prechecks';

const GiB = 2 ** 30;
const source: SourceFacts = {
  device: { name: 'fs1', type: 'file', fips: 0, domain: 'corp.contoso.com' },
  provisioned: 10 * GiB,
  pinned: 2 * GiB,
};
const target = (
  patch: Partial<TargetFacts['device']> = {},
  rest: Partial<Omit<TargetFacts, 'device'>> = {},
): TargetFacts => ({
  device: {
    name: 'fs2',
    type: 'file',
    status: 'online',
    capacity: 20 * GiB,
    fips: 0,
    domain: 'corp.contoso.com',
    failover_job_id: null,
    ...patch,
  },
  shares: 0,
  volumes: 0,
  freeBytes: 100 * GiB,
  ...rest,
});

describe('failover target compatibility', () => {
  it('accepts an empty online or ready-to-set-up device of the same type and enough capacity', () => {
    expect(assessTarget(source, target())).toEqual({ device: 'fs2', compatible: true, reasons: [], warnings: [] });
    expect(assessTarget(source, target({ status: 'ready-to-set-up' })).compatible).toBe(true);
  });

  it('names every reason a device is excluded, with numbers', () => {
    const codes = (t: TargetFacts) => assessTarget(source, t).reasons.map((r) => r.code);
    expect(codes(target({ status: 'offline' }))).toEqual(['status']);
    expect(codes(target({ status: 'deactivated' }))).toEqual(['status']);
    expect(codes(target({}, { shares: 2 }))).toEqual(['not-empty']);
    expect(codes(target({ name: 'FS1' }))).toEqual(['same-name']);
    expect(codes(target({ type: 'iscsi' }))).toEqual(['type']);
    expect(codes(target({ fips: 0 }))).toEqual([]);
    expect(codes(target({ failover_job_id: 'job_x' }))).toEqual(['busy']);
    expect(codes(target({ site_id: 'site_dr' }))).toEqual(['site']); // its root is at an agent site: nothing restores there yet
    expect(codes(target({ site_id: null }))).toEqual([]);
    const small = assessTarget(source, target({ capacity: 5 * GiB }));
    expect(small.reasons).toEqual([
      { code: 'capacity', message: 'Its capacity 5.0 GiB is less than the 10 GiB provisioned on fs1.' },
    ]);
    const full = assessTarget(source, target({}, { freeBytes: GiB }));
    expect(full.reasons[0].code).toBe('capacity');
    expect(full.reasons[0].message).toMatch(/1\.0 GiB free.*locally pinned.*2\.0 GiB/);
    expect(
      assessTarget({ ...source, device: { ...source.device, fips: 1 } }, target()).reasons.map((r) => r.code),
    ).toEqual(['fips']);
    expect(assessTarget({ ...source, device: { ...source.device, fips: 1 } }, target({ fips: 1 })).compatible).toBe(
      true,
    );
    const many = assessTarget(source, target({ status: 'offline', type: 'iscsi', capacity: GiB }, { volumes: 1 }));
    expect(many.reasons.map((r) => r.code)).toEqual(['status', 'not-empty', 'type', 'capacity']);
  });

  it('warns about a file server in another domain but keeps it compatible', () => {
    const a = assessTarget(source, target({ domain: 'other.example.com' }));
    expect(a.compatible).toBe(true);
    expect(a.warnings).toEqual([
      { code: 'domain', message: expect.stringMatching(/other\.example\.com.*corp\.contoso\.com.*permissions/) },
    ]);
    expect(assessTarget(source, target({ domain: 'CORP.contoso.com' })).warnings).toEqual([]);
  });

  it('says "no compatible target devices" when none is compatible, else names the compatible ones', () => {
    const chosen = assessTarget(source, target({ type: 'iscsi' }));
    expect(refusal('fs1', chosen, []).message).toMatch(
      /^There are no compatible target devices for fs1\. fs2: It is an iSCSI server/,
    );
    expect(refusal('fs1', chosen, ['fs3']).hint).toBe('Choose a compatible target: fs3.');
  });
});

describe('failover prechecks', () => {
  it('checks ACR initiator names and CHAP secret lengths, listing each problem and fix', () => {
    expect(iqnProblem('iqn.1991-05.com.microsoft:host1')).toBeNull();
    expect(iqnProblem('eui.02004567A425678D')).toBeNull();
    expect(iqnProblem('host1')).toMatch(/not a valid initiator name/);
    expect(iqnProblem(`iqn.1991-05.com.microsoft:${'x'.repeat(200)}`)).toMatch(/at most 220/);
    const ok = iscsiPrechecks('is1', [
      {
        name: 'v1',
        acrs: [{ name: 'a', iqn: 'iqn.1991-05.com.microsoft:h' }],
        chapUser: 'u',
        chapSecret: 'abcdefghijkl',
      },
    ]);
    expect(ok).toEqual([{ name: 'iscsi', status: 'pass', message: expect.stringMatching(/1 volume/) }]);
    const bad = iscsiPrechecks('is1', [
      { name: 'v1', acrs: [{ name: 'a', iqn: 'nope' }], chapUser: 'u', chapSecret: 'short' },
      { name: 'v2', acrs: [], chapUser: 'u', chapSecret: null },
    ]);
    expect(bad[0].status).toBe('fail');
    expect(bad[0].message).toMatch(/v1: ACR a: .*not a valid initiator name/);
    expect(bad[0].message).toMatch(/v1: the CHAP secret has 5 characters; it must have 12 to 16/);
    expect(bad[0].message).toMatch(/v2: CHAP user u has no secret/);
    expect(bad[0].fix).toMatch(
      /^Correct the initiator names of v1; set a CHAP secret of 12 to 16 characters on v1; .*Edit access/,
    );
    expect(bad[0].command).toMatch(/lifeboat volume edit is1 v1 --acr IQN.*--chap-secret/);
    expect(bad[0].message).not.toContain('short');
    expect(iscsiPrechecks('is1', [])).toEqual([]);
  });

  it('checks space against the capacity and the free disk', () => {
    expect(spacePrecheck('fs2', GiB, 2 * GiB, 10 * GiB).status).toBe('pass');
    expect(spacePrecheck('fs2', 3 * GiB, 2 * GiB, 10 * GiB)).toMatchObject({
      status: 'fail',
      message: 'The disk of fs2 has 2.0 GiB free; the restore needs 3.0 GiB.',
      fix: expect.stringMatching(/Free 1\.0 GiB/),
    });
    expect(spacePrecheck('fs2', 3 * GiB, 20 * GiB, 2 * GiB).message).toMatch(/capacity of 2\.0 GiB/);
  });

  it('fails with every failed check and its fix in one message', () => {
    const f = precheckFailure([
      { name: 'account', status: 'pass', message: 'fine' },
      { name: 'domain', status: 'warn', message: 'other domain.', fix: 'join it.' },
      { name: 'space', status: 'fail', message: 'no room.', fix: 'free some.' },
      { name: 'iscsi', status: 'fail', message: 'bad chap.', fix: 'set one.', command: 'lifeboat volume edit is1 v1' },
    ]);
    expect(f.message).toBe(
      '2 precheck(s) failed, no data was moved: [space] no room. Fix: free some. [iscsi] bad chap. Fix: set one. (`lifeboat volume edit is1 v1`)',
    );
  });
});

describe('failover plan', () => {
  it('estimates the RTO from the measured throughput, or not at all', () => {
    expect(rtoSeconds(100e6, 10e6)).toBe(10 + RTO_OVERHEAD_SECONDS);
    expect(rtoSeconds(100e6, null)).toBeNull();
    expect(rtoSeconds(100e6, 0)).toBeNull();
  });

  it('restores locally pinned items first, then hotter ones', () => {
    const order = restoreOrder([
      { name: 'cold', tier: 'tiered' as const, heat: 0.1 },
      { name: 'hot', tier: 'tiered' as const, heat: 0.9 },
      { name: 'pinned', tier: 'locally-pinned' as const, heat: 0 },
    ]);
    expect(order.map((i) => i.name)).toEqual(['pinned', 'hot', 'cold']);
  });

  it('lists the DNS aliases, fully qualified when the device is in a domain', () => {
    const c = dnsChecklist({ name: 'fs1', domain: 'corp.contoso.com' }, { name: 'fs2', domain: 'corp.contoso.com' });
    expect(c.records).toEqual([
      { type: 'CNAME', name: 'fs1', value: 'fs2' },
      { type: 'CNAME', name: 'fs1.corp.contoso.com', value: 'fs2.corp.contoso.com' },
    ]);
    expect(c.steps.join('\n')).toMatch(/alias.*initiators.*Reclaim/s);
    expect(dnsChecklist({ name: 'is1', domain: null }, { name: 'is2', domain: null }).records).toEqual([
      { type: 'CNAME', name: 'is1', value: 'is2' },
    ]);
  });
});
