/**
 * The site agent: `lifeboat agent serve --root DIR --listen HOST:PORT` on the recovery site's host. An HTTPS server
 * with its own self-signed certificate that asks every client for a certificate. Until paired it answers only
 * `/v1/pair`, which a one-time pairing key authenticates both ways (sites/agent-protocol.ts); afterwards it serves the
 * `SiteAgent` calls (sites/agent-calls.ts) to the paired installation's client certificate and to nothing else.
 */
import fsp from 'node:fs/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { LifeboatError } from '../../shared/errors';
import { checkFaults, fault, untilSigusr2 } from '../faults';
import type { CommitHooks } from './agent';
import { CALLS, type CallContext } from './agent-calls';
import { closeSourceWorkers } from './agent-source-calls';
import {
  ARGS_HEADER,
  FRAME,
  frame,
  FRAME_CONTENT_TYPE,
  HEARTBEAT_HEADER,
  macEqual,
  PAIR_REQUEST,
  PAIR_RESPONSE,
  pairingMac,
  toWireError,
  type PairResponse,
} from './agent-protocol';
import { AGENT_STATE_DIR, AgentState } from './agent-state';
import { LocalSiteAgent, SITE_MARKER } from './local-agent';

/** A local agent on the agent's root, whose own state folder does not make the root "not empty" for a new site. */
class AgentRootSite extends LocalSiteAgent {
  async prepareSite(marker: { id: string; name: string }): Promise<void> {
    const entries = (await fsp.readdir(this.root)).filter((n) => n !== AGENT_STATE_DIR);
    if (entries.length > 0) return super.prepareSite(marker);
    const file = path.join(this.root, SITE_MARKER);
    await fsp.writeFile(`${file}.tmp`, JSON.stringify({ ...marker, createdAt: new Date().toISOString() }, null, 2), {
      mode: 0o600,
    });
    await fsp.rename(`${file}.tmp`, file);
  }
}

export interface AgentServer {
  url: string;
  port: number;
  fingerprint: string;
  state: AgentState;
  close(): Promise<void>;
}

const NEW_KEY =
  'restart the agent with `lifeboat agent serve --root DIR --listen HOST:PORT --new-pairing-key` on its host and pair with the key it prints';
const NEW_KEY_HINT = `To pair again, ${NEW_KEY}.`;

const PairBody = z.object({
  installation: z.string().min(1).max(200),
  site: z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/), name: z.string().min(1).max(100) }),
  nonce: z.string().min(16).max(100),
  mac: z.string().min(1).max(200),
});

function refuse(res: ServerResponse, status: number, err: LifeboatError): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ ok: false, error: err.toInfo() }));
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > max) throw new LifeboatError('invalid_input', `The request body is over ${max} bytes.`);
    parts.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8') || '[]');
  } catch {
    throw new LifeboatError('invalid_input', 'The request body is not JSON.');
  }
}

/** Fault injection for crash tests: LIFEBOAT_AGENT_FAULT=mid-apply holds the first commit mid-apply until SIGUSR2. */
function faultHooks(log: (line: string) => void): CommitHooks {
  if (!fault('agent', 'mid-apply')) return {};
  let held = false;
  return {
    midApply: async () => {
      if (held) return;
      held = true;
      await untilSigusr2(() => log('fault-point mid-apply'));
    },
  };
}

export async function startAgentServer(opts: {
  root: string;
  host: string;
  port: number;
  newKey?: boolean;
  log: (line: string) => void;
}): Promise<AgentServer> {
  checkFaults(); // a test's mistyped fault point fails the agent's start
  const root = path.resolve(opts.root);
  await fsp.mkdir(root, { recursive: true, mode: 0o700 });
  const state = await AgentState.open(root, { newKey: opts.newKey });
  const site = new AgentRootSite(root);
  const hooks = faultHooks(opts.log);
  let pairing: Promise<unknown> = Promise.resolve();

  async function pair(req: IncomingMessage, res: ServerResponse, clientFp: string | undefined): Promise<void> {
    if (!clientFp)
      return refuse(
        res,
        400,
        new LifeboatError(
          'forbidden',
          'Pairing needs a client certificate.',
          'Pair with `lifeboat site add NAME --agent URL --pairing-key KEY`.',
        ),
      );
    const parsed = PairBody.safeParse(await readJson(req, 64 << 10));
    if (!parsed.success)
      return refuse(res, 400, new LifeboatError('invalid_input', 'The pairing request is malformed.'));
    const b = parsed.data;
    const macWith = (key: string) =>
      pairingMac(key, [PAIR_REQUEST, state.tls.fingerprint, clientFp, b.installation, b.site.id, b.site.name, b.nonce]);
    const open = state.pairingKey;
    if (open && macEqual(macWith(open), b.mac)) {
      await site.prepareSite(b.site); // refused (a root of another site, not empty): the key stays open
      await state.pair({
        installation: b.installation,
        clientFingerprint: clientFp,
        siteId: b.site.id,
        siteName: b.site.name,
        pairedAt: new Date().toISOString(),
      });
      opts.log(`paired with ${b.installation} as its recovery site ${b.site.name}`);
      const value: PairResponse = {
        agentId: state.agentId,
        root,
        mac: pairingMac(open, [PAIR_RESPONSE, state.tls.fingerprint, clientFp, b.nonce, state.agentId, root]),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ ok: true, value }));
    }
    const used = state.usedKeys().find((u) => macEqual(macWith(u.key), b.mac));
    opts.log(`refused a pairing request from ${b.installation}: ${used ? 'reused' : 'wrong'} pairing key`);
    if (used)
      return refuse(
        res,
        403,
        new LifeboatError(
          'forbidden',
          `This pairing key was already used (at ${used.usedAt}): a pairing key pairs once.`,
          NEW_KEY_HINT,
        ),
      );
    if (!open)
      return refuse(
        res,
        403,
        new LifeboatError(
          'forbidden',
          'The pairing key is wrong, and this agent has none open: it is paired already.',
          NEW_KEY_HINT,
        ),
      );
    refuse(
      res,
      403,
      new LifeboatError(
        'forbidden',
        'The pairing key is wrong.',
        `Copy the key the agent printed when it started (it prints it at every start until it is used), or ${NEW_KEY}.`,
      ),
    );
  }

  async function serveCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const def = Object.hasOwn(CALLS, name) ? CALLS[name] : undefined;
    if (!def)
      return refuse(
        res,
        404,
        new LifeboatError(
          'not_found',
          `The site agent has no call ${name}.`,
          'Update the agent to the same Lifeboat version as the installation.',
        ),
      );
    let raw: unknown;
    try {
      raw = def.streamsIn
        ? JSON.parse(decodeURIComponent(String(req.headers[ARGS_HEADER] ?? '%5B%5D')))
        : await readJson(req, 256 << 20);
    } catch (err) {
      return refuse(
        res,
        400,
        err instanceof LifeboatError
          ? err
          : new LifeboatError('invalid_input', `The arguments of ${name} are not JSON.`),
      );
    }
    const args = def.args.safeParse(raw);
    if (!args.success)
      return refuse(
        res,
        400,
        new LifeboatError(
          'invalid_input',
          `The arguments of ${name} are invalid: ${args.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`,
        ),
      );
    // Heartbeats while the call runs: the client's idle timeout then means a dead link or agent, never a slow disk.
    const every = Math.min(10_000, Math.max(250, Number(req.headers[HEARTBEAT_HEADER]) || 5000));
    req.socket.setTimeout(every * 8, () => req.socket.destroy());
    res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE });
    const beat = setInterval(() => res.write(frame(FRAME.heartbeat)), every);
    const send = async (chunk: Buffer) => {
      if (!res.write(frame(FRAME.data, chunk))) await new Promise((resolve) => res.once('drain', resolve));
    };
    const ctx: CallContext = { agent: site, root, stateDir: state.dir, body: req, send, hooks };
    let result: unknown;
    try {
      result = { ok: true, value: (await def.run(args.data as never[], ctx)) ?? null };
    } catch (err) {
      result = { ok: false, error: toWireError(err) };
    } finally {
      clearInterval(beat);
    }
    res.end(frame(FRAME.result, Buffer.from(JSON.stringify(result))));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/v1\/([A-Za-z]+)$/.exec(new URL(req.url ?? '/', 'https://agent').pathname);
    if (req.method !== 'POST' || !m)
      return refuse(
        res,
        404,
        new LifeboatError('not_found', 'This is a Lifeboat site agent: it answers only Lifeboat.'),
      );
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const clientFp = peer && typeof peer.fingerprint256 === 'string' ? peer.fingerprint256 : undefined;
    if (m[1] === 'pair') {
      const run = pairing.then(() => pair(req, res, clientFp));
      pairing = run.catch(() => undefined);
      return run;
    }
    const paired = state.paired;
    const why = !clientFp
      ? 'The request has no client certificate.'
      : !paired
        ? 'This site agent is not paired with any Lifeboat installation yet.'
        : paired.clientFingerprint !== clientFp
          ? 'The request is not from the Lifeboat installation this site agent is paired with.'
          : null;
    if (why) {
      opts.log(`refused ${m[1]} from ${req.socket.remoteAddress}: ${why}`);
      return refuse(
        res,
        403,
        new LifeboatError(
          'forbidden',
          `${why} The agent accepts requests only from the installation it is paired with.`,
          `Pair with \`lifeboat site add NAME --agent URL --pairing-key KEY\`; to pair another installation, ${NEW_KEY}.`,
        ),
      );
    }
    return serveCall(req, res, m[1]);
  }

  const server = https.createServer(
    { key: state.tls.key, cert: state.tls.cert, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        req.resume();
        refuse(
          res,
          500,
          err instanceof LifeboatError ? err : new LifeboatError('internal', (err as Error)?.message ?? String(err)),
        );
      });
    },
  );
  server.requestTimeout = 0; // a large file may take long; idle sockets are cut by the per-call timeout instead
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES'
          ? new LifeboatError(
              'invalid_input',
              `--listen: cannot listen on ${opts.host}:${opts.port} (${err.code}).`,
              'Choose another port, or an address of this host.',
            )
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `https://${host}:${port}`,
    port,
    fingerprint: state.tls.fingerprint,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => void closeSourceWorkers().then(resolve, resolve));
        server.closeAllConnections();
      }),
  };
}
