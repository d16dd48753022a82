/**
 * A site agent's calls tested from the installation's side: a real `lifeboat agent serve` child under a fresh root,
 * paired as site "dr" with a fresh data directory (`site add --agent`), and an engine open on it (no jobs run). The
 * suite builds the app first and ends the engine and the agent after its tests.
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Engine } from '../../main/engine/engine';
import type { RemoteSiteAgent } from '../../main/engine/sites/remote-agent';
import { buildMain, cli, ok, tempHome } from './home';
import { startAgent, type AgentProc } from './site-agent';

export interface PairedAgent {
  home: string;
  /** The agent's root on this host. */
  root: string;
  agent: AgentProc;
  engine: Engine;
  /** The engine's agent for site "dr". */
  site: RemoteSiteAgent;
}

/** Registers the suite's hooks; the function it returns starts and pairs the agent (`env`: the agent's environment). */
export function usePairedAgent(): (opts?: { env?: NodeJS.ProcessEnv }) => Promise<PairedAgent> {
  let agent: AgentProc | null = null;
  let engine: Engine | null = null;
  beforeAll(buildMain, 120_000);
  afterAll(async () => {
    await engine?.close();
    await agent?.stop('SIGKILL');
  });
  return async (opts = {}) => {
    const home = tempHome();
    const root = path.join(tempHome('lifeboat-agent-'), 'site');
    const started = await startAgent(root, '127.0.0.1:0', opts);
    agent = started;
    ok(cli(home, ['site', 'add', 'dr', '--agent', started.url, '--pairing-key', started.pairingKey!]));
    const opened = Engine.open({ dataDir: home, mode: 'cli', runJobs: false });
    engine = opened;
    return {
      home,
      root,
      agent: started,
      engine: opened,
      site: opened.sites.agentFor(opened.sites.store.require('dr')) as RemoteSiteAgent,
    };
  };
}

/** The error a rejected promise carries (code and message), or code 'none' where it succeeded. */
export const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'none', message: 'it succeeded' }),
    (e: { code: string; message: string }) => e,
  );
