/** Handlers of the sites.*, policies.* and items.* calls: engine domain results mapped to the contract's shapes. */
import type { Handlers } from '../api/types';
import { refuseSiteInUse } from '../devices/site-choice';
import { itemFailoverHandlers } from './failover-handlers';

type ProtectionCalls = Extract<keyof Handlers, `sites.${string}` | `policies.${string}` | `items.${string}`>;

export const protectionHandlers: Pick<Handlers, ProtectionCalls> = {
  'sites.add': (engine, input) => engine.sites.add(input),
  'sites.list': (engine) => engine.sites.list(),
  'sites.show': (engine, input) => engine.sites.show(input.name),
  'sites.test': (engine, input) => engine.sites.test(input.name),
  'sites.remove': (engine, input) => {
    refuseSiteInUse(engine.sites.store.require(input.name), engine.devices.store.list());
    return engine.sites.remove(input.name);
  },
  'sites.pause': (engine, input) => engine.sites.setPaused(input.name, true),
  'sites.resume': (engine, input) => engine.sites.setPaused(input.name, false),
  'policies.create': (engine, input) => engine.protection.policies.create(input),
  'policies.list': (engine) => engine.protection.policies.list(),
  'policies.show': (engine, input) => engine.protection.policies.show(input.name),
  'policies.edit': (engine, input) => engine.protection.policies.edit(input),
  'items.protect': (engine, input) => engine.protection.items.protect(input),
  'items.list': (engine) => engine.protection.items.list(),
  'items.show': (engine, input) => engine.protection.items.show(input.name),
  'items.points': (engine, input) => engine.protection.items.points(input.name),
  'items.replicate': (engine, input) => engine.protection.items.replicate(input.name),
  'items.resync': (engine, input) => engine.protection.items.resync(input.name),
  'items.edit': (engine, input) => engine.protection.items.edit(input),
  'items.history': (engine, input) => engine.protection.items.history(input.name),
  'items.settings': (engine, input) => engine.protection.items.settings(input),
  'items.pause': (engine, input) => engine.protection.items.setPaused(input.name, true),
  'items.resume': (engine, input) => engine.protection.items.setPaused(input.name, false),
  'items.disable': (engine, input) => engine.protection.items.disable(input.name, input.keepReplica),
  'items.materialize': (engine, input) => engine.protection.items.materialize(input.name, input.point, input.to),
  'items.reprotect': (engine, input) => engine.protection.reprotect.start(input.name),
  ...itemFailoverHandlers,
};
