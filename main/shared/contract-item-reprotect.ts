/**
 * The contract's call for reprotect (docs/failover.md, "Reprotect and the reverse direction"): after a committed
 * failover, replicate the item from the site it runs at back to its other site, sending only what differs.
 */
import { z } from 'zod';
import { call } from './call';
import { Job } from './schemas';

export const itemReprotectCalls = {
  'items.reprotect': call({
    summary:
      'After commit: replicate the item back to its other site (dr → primary, or primary → dr after a failback), sending only what differs',
    input: z.object({ name: z.string().trim().min(1).describe('protected item name') }),
    output: Job,
    cli: {
      command: 'item reprotect',
      positional: ['name'],
      lookups: { name: 'item' },
      confirm:
        "Reprotect {name}? The disks and folders at its other site are overwritten with the item's current data (only what differs is sent).",
      startsJob: true,
      view: 'job',
    },
  }),
};
