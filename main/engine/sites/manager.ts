/**
 * Sites: add (a data root on this machine now; an agent over TLS next), list, show, test and remove. The manager hands
 * out the `SiteAgent` of a site, one per site so that its per-item locks are shared by every caller in this process.
 */
import path from 'node:path';
import { LifeboatError } from '../errors';
import { newId } from '../keys';
import { describeOverlap, findOverlap, type Place } from '../placement';
import type { SiteAgent, SiteProbe } from './agent';
import { LocalSiteAgent } from './local-agent';
import { SiteStore, type SiteRow } from './store';

export interface SiteInfo {
  name: string;
  kind: SiteRow['kind'];
  root: string | null;
  createdAt: string;
  /** Protected items replicating to it, or active on it. */
  items: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;

export class SiteManager {
  private agents = new Map<string, SiteAgent>();

  constructor(
    readonly store: SiteStore,
    /** Names of the protected items that use a site. */
    private readonly itemsUsing: (siteId: string) => string[],
    /** Places a site root must stay clear of: the data directory, device roots, local accounts. */
    private readonly places: () => Place[],
  ) {}

  agentFor(site: SiteRow): SiteAgent {
    if (site.kind !== 'local' || !site.root)
      throw new LifeboatError('not_allowed', `The site ${site.name} holds no replicas: it is the primary site.`, 'Choose a recovery site added with `lifeboat site add`.');
    let agent = this.agents.get(site.id);
    if (!agent) this.agents.set(site.id, (agent = new LocalSiteAgent(site.root)));
    return agent;
  }

  private info(row: SiteRow): SiteInfo {
    return { name: row.name, kind: row.kind, root: row.root, createdAt: row.created_at, items: this.itemsUsing(row.id) };
  }

  async add(input: { name: string; root: string }): Promise<SiteInfo> {
    const name = input.name.trim();
    if (!NAME.test(name)) throw new LifeboatError('invalid_input', `NAME: "${name}" is not a site name.`, 'Use 1-50 letters, digits, dots, hyphens and underscores, starting with a letter or digit.');
    if (name.toLowerCase() === 'primary' || this.store.byName(name)) throw new LifeboatError('already_exists', `There is already a site named ${name}.`, 'Choose another name; `lifeboat site list` shows the sites.');
    if (!path.isAbsolute(input.root)) throw new LifeboatError('invalid_input', `--root: give an absolute path (got ${input.root}).`);
    const root = path.resolve(input.root);
    const overlap = findOverlap(root, [...this.places(), ...this.store.list().flatMap((s) => (s.root ? [{ path: s.root, what: `the root of the site ${s.name}` }] : []))]);
    if (overlap) throw new LifeboatError('invalid_input', `--root: ${describeOverlap(root, overlap)}`, 'Give a folder of its own for the recovery site.');
    const row: SiteRow = { id: newId('site'), name, kind: 'local', root, created_at: new Date().toISOString() };
    await new LocalSiteAgent(root).prepareSite({ id: row.id, name });
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
    return { name: row.name, ...(await this.agentFor(row).probe()) };
  }

  remove(name: string): { removed: string } {
    const row = this.store.require(name);
    if (row.kind === 'primary') throw new LifeboatError('not_allowed', 'The primary site is this installation and cannot be removed.');
    const items = this.itemsUsing(row.id);
    if (items.length)
      throw new LifeboatError('not_allowed', `The site ${row.name} is used by ${items.join(', ')}.`, `Disable protection of ${items.length === 1 ? 'that item' : 'those items'} first (\`lifeboat item disable NAME\`).`);
    this.store.delete(row.id);
    this.agents.delete(row.id);
    return { removed: row.name };
  }
}
