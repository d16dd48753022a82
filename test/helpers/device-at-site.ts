/**
 * A data directory with a site agent paired as "dr" (a real `lifeboat agent serve` child), a service and a local
 * storage account "lab": what the tests of a device whose data root is at an agent site start from.
 */
import path from 'node:path';
import { cli, ok, tempHome, type CliResult } from './home';
import { startAgent, type AgentProc } from './site-agent';

export interface AgentSiteHome {
  home: string;
  agent: AgentProc;
  /** The agent's root on this host, and its devices/ folder (where device roots at the site go). */
  siteRoot: string;
  area: string;
  registrationKey: string;
  /** `device create NAME --type file --root ROOT --account lab …`, with `extra` (`--site dr` for one at the site). */
  create: (name: string, root: string, ...extra: string[]) => CliResult;
}

export async function agentSiteHome(): Promise<AgentSiteHome> {
  const home = tempHome();
  const siteRoot = path.join(tempHome('lifeboat-agent-'), 'site');
  const agent = await startAgent(siteRoot, '127.0.0.1:0');
  ok(cli(home, ['site', 'add', 'dr', '--agent', agent.url, '--pairing-key', agent.pairingKey!]));
  const registrationKey = ok(cli(home, ['service', 'init', '--name', 'Lab', '--json'])).json<{
    registrationKey: string;
  }>().registrationKey;
  ok(cli(home, ['account', 'add', 'lab', '--local', path.join(tempHome('lifeboat-acct-'), 'acct')]));
  const create = (name: string, root: string, ...extra: string[]) =>
    cli(home, [
      'device',
      'create',
      name,
      '--type',
      'file',
      '--root',
      root,
      '--capacity',
      '1GiB',
      '--account',
      'lab',
      '--registration-key',
      registrationKey,
      ...extra,
    ]);
  return { home, agent, siteRoot, area: path.join(siteRoot, 'devices'), registrationKey, create };
}
