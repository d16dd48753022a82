/**
 * Sites: add (a data root on this machine, or a site agent on another host, paired over TLS), list, show, test and
 * remove. The manager hands out the `SiteAgent` of a site, one per site so that its per-item locks and its connections
 * are shared by every caller in this process. An agent site's address, pinned certificate and client key are kept in
 * the secret store (`site-agent:<site id>`), never in plain SQLite.
 */
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { newId } from '../keys';
import { describeOverlap, findOverlap, type Place } from '../placement';
import type { SiteAgent, SiteProbe } from './agent';
import { pairWithAgent, type AgentConnection } from './agent-pairing';
import { LocalSiteAgent } from './local-agent';
import { agentTimeoutMs, RemoteSiteAgent } from './remote-agent';
import { SiteStore, type SiteRow } from './store';

export interface SiteInfo {
  name: string;
  kind: SiteRow['kind'];
  /** A local site's root; an agent site's root on the agent's host. */
  root: string | null;
  /** An agent site's address (https://HOST:PORT). */
  agent: string | null;
  createdAt: string;
  /** Protected items replicating to it, or active on it. */
  items: string[];
  /** Items replicating to or from it run no cycles. */
  paused: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;
const secretName = (siteId: string) => `site-agent:${siteId}`;

/** What the manager needs of the secret store. */
export interface SiteSecrets {
  get(name: string): string | null;
  set(name: string, value: string): void;
  delete(name: string): void;
}

export class SiteManager {
  private agents = new Map<string, SiteAgent>();

  constructor(
    readonly store: SiteStore,
    /** Names of the protected items that use a site. */
    private readonly itemsUsing: (siteId: string) => string[],
    /** Places a site root must stay clear of: the data directory, device roots, local accounts. */
    private readonly places: () => Place[],
    private readonly secrets: SiteSecrets,
  ) {}

  agentFor(site: SiteRow): SiteAgent {
    let agent = this.agents.get(site.id);
    if (agent) return agent;
    if (site.kind === 'agent') agent = new RemoteSiteAgent(this.connection(site));
    else if (site.kind === 'local' && site.root) agent = new LocalSiteAgent(site.root);
    else
      throw new LifeboatError(
        'not_allowed',
        `The site ${site.name} holds no replicas: it is the primary site.`,
        'Choose a recovery site added with `lifeboat site add`.',
      );
    this.agents.set(site.id, agent);
    return agent;
  }

  private connection(site: SiteRow): AgentConnection {
    const text = this.secrets.get(secretName(site.id));
    if (!text)
      throw new LifeboatError(
        'forbidden',
        `The credentials of the agent site ${site.name} are missing from this installation's secrets.`,
        `Remove the site and add it again with a new pairing key (\`lifeboat agent serve … --new-pairing-key\` on the agent host).`,
        { final: true },
      );
    return JSON.parse(text) as AgentConnection;
  }

  private info(row: SiteRow): SiteInfo {
    let conn: AgentConnection | null = null;
    try {
      conn = row.kind === 'agent' ? this.connection(row) : null;
    } catch {
      // listed all the same: using the site names what is wrong
    }
    return {
      name: row.name,
      kind: row.kind,
      root: conn ? conn.root : row.root,
      agent: conn?.url ?? null,
      createdAt: row.created_at,
      items: this.itemsUsing(row.id),
      paused: row.paused === 1,
    };
  }

  async add(input: { name: string; root?: string; agent?: string; pairingKey?: string }): Promise<SiteInfo> {
    const name = input.name.trim();
    if (!NAME.test(name))
      throw new LifeboatError(
        'invalid_input',
        `NAME: "${name}" is not a site name.`,
        'Use 1-50 letters, digits, dots, hyphens and underscores, starting with a letter or digit.',
      );
    if (name.toLowerCase() === 'primary' || this.store.byName(name))
      throw new LifeboatError(
        'already_exists',
        `There is already a site named ${name}.`,
        'Choose another name; `lifeboat site list` shows the sites.',
      );
    if ((input.root === undefined) === (input.agent === undefined))
      throw new LifeboatError(
        'invalid_input',
        'Give either --root DIR (a folder on this machine) or --agent https://HOST:PORT (a site agent).',
        'For a site agent, also give --pairing-key.',
      );
    if (input.agent !== undefined) return this.addAgent(name, input.agent, input.pairingKey);
    if (input.pairingKey !== undefined)
      throw new LifeboatError('invalid_input', '--pairing-key goes with --agent, not --root.');
    if (input.root === undefined) throw new LifeboatError('invalid_input', '--root: give a folder.');
    if (!path.isAbsolute(input.root))
      throw new LifeboatError('invalid_input', `--root: give an absolute path (got ${input.root}).`);
    const root = path.resolve(input.root);
    const overlap = findOverlap(root, [
      ...this.places(),
      ...this.store.list().flatMap((s) => (s.root ? [{ path: s.root, what: `the root of the site ${s.name}` }] : [])),
    ]);
    if (overlap)
      throw new LifeboatError(
        'invalid_input',
        `--root: ${describeOverlap(root, overlap)}`,
        'Give a folder of its own for the recovery site.',
      );
    const row: SiteRow = { id: newId('site'), name, kind: 'local', root, created_at: new Date().toISOString() };
    await new LocalSiteAgent(root).prepareSite({ id: row.id, name });
    this.store.insert(row);
    return this.info(row);
  }

  /** Pairs with a site agent; the pinned certificate and client key go to the secret store before the row exists. */
  private async addAgent(name: string, agent: string, pairingKey: string | undefined): Promise<SiteInfo> {
    if (!pairingKey)
      throw new LifeboatError(
        'invalid_input',
        '--pairing-key: an agent site needs the pairing key `lifeboat agent serve` printed.',
      );
    const row: SiteRow = { id: newId('site'), name, kind: 'agent', root: null, created_at: new Date().toISOString() };
    const conn = await pairWithAgent({
      agent,
      pairingKey,
      site: { id: row.id, name },
      installation: os.hostname(),
      timeoutMs: agentTimeoutMs(),
    });
    this.secrets.set(secretName(row.id), JSON.stringify(conn));
    this.store.insert(row);
    return this.info(row);
  }

  list(): SiteInfo[] {
    return this.store.list().map((r) => this.info(r));
  }

  show(name: string): SiteInfo {
    return this.info(this.store.require(name));
  }

  async test(name: string): Promise<SiteProbe & { name: string }> {
    const row = this.store.require(name);
    const probe = await this.agentFor(row).probe();
    this.store.setProbe(row.id, new Date().toISOString(), probe.writeBytesPerSecond);
    return { name: row.name, ...probe };
  }

  /** Pauses or resumes replication to and from a site; items whose cycle fell due meanwhile run at the next tick. */
  setPaused(name: string, paused: boolean): SiteInfo {
    const row = this.store.require(name);
    this.store.setPaused(row.id, paused);
    return this.info(this.store.byId(row.id)!);
  }

  remove(name: string): { removed: string } {
    const row = this.store.require(name);
    if (row.kind === 'primary')
      throw new LifeboatError('not_allowed', 'The primary site is this installation and cannot be removed.');
    const items = this.itemsUsing(row.id);
    if (items.length)
      throw new LifeboatError(
        'not_allowed',
        `The site ${row.name} is used by ${items.join(', ')}.`,
        `Disable protection of ${items.length === 1 ? 'that item' : 'those items'} first (\`lifeboat item disable NAME\`).`,
      );
    this.store.delete(row.id);
    this.secrets.delete(secretName(row.id));
    const agent = this.agents.get(row.id);
    if (agent instanceof RemoteSiteAgent) agent.close();
    this.agents.delete(row.id);
    return { removed: row.name };
  }
}
