/**
 * A site agent hashes a checksum call's blocks in worker threads (sites/agent-source-calls.ts): while a call over a
 * 64 MiB disk is under way (held at its fault point with the hashing started, LIFEBOAT_AGENT_FAULT=hold-sums), the same
 * real `lifeboat agent serve` process answers other calls; released, the call's checksums are the engine's own for
 * every block. Ordering only: the other answers come while the checksum call has not answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockHash, HASH_BYTES } from '../../main/engine/replication/block-hash';
import { SUMS_MAX_BLOCKS } from '../../main/engine/sites/agent-source-calls';
import { BLOCK, makeDisk } from '../helpers/replication-lab';
import { usePairedAgent } from '../helpers/paired-agent';

const pairedAgent = usePairedAgent();

describe('checksums at a site agent', () => {
  it('are made in worker threads: the agent answers other calls while a large checksum call runs', async () => {
    const { root, site, agent } = await pairedAgent({ env: { LIFEBOAT_AGENT_FAULT: 'hold-sums' } });
    const copy = path.join(root, '_active', 'vm', 'disks');
    fs.mkdirSync(copy, { recursive: true });
    const blocks = SUMS_MAX_BLOCKS;
    const disk = makeDisk(
      path.join(copy, 'vm.img'),
      blocks * BLOCK,
      [...Array(blocks).keys()].filter((b) => b % 97 !== 5),
    );

    const order: string[] = [];
    const parts: Buffer[] = [];
    const summing = site.readAt<{ bytesRead: number; size: number }>('sourceSums', [disk, 0, blocks], (c) =>
      parts.push(c),
    );
    void summing.then(
      () => order.push('sums'),
      () => order.push('sums failed'),
    );
    await agent.waitFor('fault-point sums-hashing');
    expect(await site.readAt('sourceStat', [disk])).toMatchObject({ file: true, size: blocks * BLOCK });
    order.push('stat');
    expect((await site.space()).total).toBeGreaterThan(0);
    order.push('space');
    expect(order).toEqual(['stat', 'space']);

    process.kill(agent.proc.pid!, 'SIGUSR2');
    const summed = await summing;
    expect(order).toEqual(['stat', 'space', 'sums']);
    const holes = [...Array(blocks).keys()].filter((b) => b % 97 === 5).length;
    expect(summed).toEqual({ bytesRead: (blocks - holes) * BLOCK, size: blocks * BLOCK });
    const sums = Buffer.concat(parts);
    const bytes = fs.readFileSync(disk);
    expect(sums.length).toBe(blocks * HASH_BYTES);
    for (let b = 0; b < blocks; b++)
      expect(sums.subarray(b * HASH_BYTES, (b + 1) * HASH_BYTES)).toEqual(
        blockHash(bytes.subarray(b * BLOCK, (b + 1) * BLOCK)),
      );
  }, 300_000);
});
