/**
 * A site agent's own state, under `<root>/.lifeboat-agent/` (0700, files 0600): its TLS key and self-signed
 * certificate, the open pairing key (until used), the keys already used (so a reused one is named as such), and the
 * installation it is paired with (the fingerprint of that installation's client certificate). No SQLite: one small
 * JSON file, replaced atomically.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../../shared/errors';
import { newPairingKey } from './agent-protocol';
import { makeSelfSigned } from './agent-tls';
import { fsyncPath } from './block-records';

export const AGENT_STATE_DIR = '.lifeboat-agent';
/** Used keys kept to recognize a reuse; older ones are just wrong. */
const USED_KEPT = 16;

export interface PairedInstallation {
  installation: string;
  clientFingerprint: string;
  siteId: string;
  siteName: string;
  pairedAt: string;
}

export interface AgentStateFile {
  agentId: string;
  pairingKey: string | null;
  usedKeys: { key: string; usedAt: string }[];
  paired: PairedInstallation | null;
}

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncPath(path.dirname(file));
}

export class AgentState {
  private constructor(
    readonly dir: string,
    readonly tls: { key: string; cert: string; fingerprint: string },
    private state: AgentStateFile,
  ) {}

  /** Opens (or creates) the state under `root`; `newKey` replaces the open pairing key with a fresh one. */
  static async open(root: string, opts: { newKey?: boolean } = {}): Promise<AgentState> {
    const st = await fsp.stat(root).catch(() => null);
    if (st && !st.isDirectory())
      throw new LifeboatError(
        'invalid_input',
        `--root: ${root} is a file, not a folder.`,
        'Give a folder (it is created when missing).',
      );
    const dir = path.join(root, AGENT_STATE_DIR);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.chmod(dir, 0o700);
    const keyFile = path.join(dir, 'tls-key.pem');
    const certFile = path.join(dir, 'tls-cert.pem');
    let tls: { key: string; cert: string; fingerprint: string };
    if (fs.existsSync(keyFile) && fs.existsSync(certFile)) {
      const cert = await fsp.readFile(certFile, 'utf8');
      tls = {
        key: await fsp.readFile(keyFile, 'utf8'),
        cert,
        fingerprint: new crypto.X509Certificate(cert).fingerprint256,
      };
    } else {
      tls = await makeSelfSigned('Lifeboat site agent');
      await writePrivate(keyFile, tls.key);
      await writePrivate(certFile, tls.cert);
    }
    const file = path.join(dir, 'state.json');
    const text = await fsp.readFile(file, 'utf8').catch(() => null);
    let state: AgentStateFile;
    try {
      state = text
        ? (JSON.parse(text) as AgentStateFile)
        : {
            agentId: `agent-${crypto.randomBytes(8).toString('hex')}`,
            pairingKey: newPairingKey(),
            usedKeys: [],
            paired: null,
          };
    } catch {
      throw new LifeboatError(
        'damaged',
        `The agent state ${file} is damaged.`,
        `Move ${dir} away and start again: the agent gets a new certificate and pairing key, and the site must be added again.`,
      );
    }
    const agent = new AgentState(dir, tls, state);
    if (opts.newKey || (!state.pairingKey && !state.paired)) state.pairingKey = newPairingKey();
    await agent.save();
    return agent;
  }

  get agentId(): string {
    return this.state.agentId;
  }

  get pairingKey(): string | null {
    return this.state.pairingKey;
  }

  get paired(): PairedInstallation | null {
    return this.state.paired;
  }

  usedKeys(): { key: string; usedAt: string }[] {
    return this.state.usedKeys;
  }

  private async save(): Promise<void> {
    await writePrivate(path.join(this.dir, 'state.json'), JSON.stringify(this.state, null, 2));
  }

  /** Pairs with an installation: the open key becomes used, and only that installation is accepted from now on. */
  async pair(p: PairedInstallation): Promise<void> {
    if (!this.state.pairingKey) throw new LifeboatError('conflict', 'The pairing key was used meanwhile.');
    this.state.usedKeys = [{ key: this.state.pairingKey, usedAt: p.pairedAt }, ...this.state.usedKeys].slice(
      0,
      USED_KEPT,
    );
    this.state.pairingKey = null;
    this.state.paired = p;
    await this.save();
  }
}
