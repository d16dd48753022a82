/**
 * Pairing this installation with a site agent (`lifeboat site add NAME --agent https://HOST:PORT --pairing-key K`).
 * The installation reads the agent's certificate, makes its own client certificate, and sends a pairing request
 * MACed with the pairing key over both fingerprints; the agent answers with a MAC over them too. So each end proves
 * it knows the key, a man in the middle (whose certificate differs) fails both MACs, and what is kept afterwards, the
 * agent's certificate pinned and the client key, authenticates every later request without the key.
 */
import crypto from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import { LifeboatError } from '../../shared/errors';
import {
  macEqual,
  PAIR_REQUEST,
  PAIR_RESPONSE,
  pairingMac,
  parsePairingKey,
  type PairRequest,
  type PairResponse,
} from './agent-protocol';

/** What the installation keeps of a pairing, in its secret store (never in plain SQLite). */
export interface AgentConnection {
  url: string;
  agentId: string;
  /** The agent's data root on its host. */
  root: string;
  agentCert: string;
  agentFingerprint: string;
  clientKey: string;
  clientCert: string;
  clientFingerprint: string;
}

export function parseAgentUrl(text: string): { url: string; host: string; port: number } {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new LifeboatError(
      'invalid_input',
      `--agent: "${text}" is not a URL.`,
      'Give the address `lifeboat agent serve` printed, e.g. https://10.0.0.5:8443.',
    );
  }
  if (
    u.protocol !== 'https:' ||
    !u.port ||
    (u.pathname !== '/' && u.pathname !== '') ||
    u.search ||
    u.username ||
    u.password
  )
    throw new LifeboatError(
      'invalid_input',
      `--agent: "${text}" is not an agent address.`,
      'Give https://HOST:PORT, as `lifeboat agent serve` printed it.',
    );
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: `https://${u.host}`, host, port: Number(u.port) };
}

/** Checks a TLS peer against the pinned fingerprint (Node calls it once the chain, the pinned cert, verified). */
export function pinTo(fingerprint: string) {
  return (_host: string, cert: { fingerprint256?: string }): Error | undefined =>
    cert.fingerprint256 === fingerprint
      ? undefined
      : Object.assign(new Error(`certificate ${cert.fingerprint256} is not the pinned ${fingerprint}`), {
          code: 'ERR_LIFEBOAT_PIN',
        });
}

export function unreachable(url: string, why: string, cause?: unknown): LifeboatError {
  return new LifeboatError(
    'unavailable',
    `The site agent at ${url} cannot be reached (${why}).`,
    'Check that `lifeboat agent serve` runs on that host and that the network to it is up; replication retries by itself.',
    {
      retryable: true,
      cause,
    },
  );
}

/** The agent's certificate, read from a TLS handshake that trusts nothing yet: the pairing MACs vouch for it. */
function fetchCertificate(host: string, port: number, url: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3', timeout: timeoutMs });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      if (raw?.length) resolve(raw);
      else
        reject(
          new LifeboatError(
            'forbidden',
            `The server at ${url} presented no certificate.`,
            'Check the address: is it a Lifeboat site agent?',
          ),
        );
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(unreachable(url, `no answer in ${Math.round(timeoutMs / 1000)} s`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(unreachable(url, err.code ?? err.message, err)));
  });
}

export async function pairWithAgent(input: {
  agent: string;
  pairingKey: string;
  site: { id: string; name: string };
  installation: string;
  timeoutMs: number;
}): Promise<AgentConnection> {
  const { url, host, port } = parseAgentUrl(input.agent);
  const key = parsePairingKey(input.pairingKey);
  // Loaded here only: the certificate library takes a good part of a CLI command's start-up, and only pairing needs it.
  const { derToPem, makeSelfSigned } = await import('./agent-tls');
  const agentCert = derToPem(await fetchCertificate(host, port, url, input.timeoutMs));
  const agentFingerprint = new crypto.X509Certificate(agentCert).fingerprint256;
  const client = await makeSelfSigned(`Lifeboat installation ${input.installation}`.slice(0, 60));
  const nonce = crypto.randomBytes(24).toString('base64');
  const body: PairRequest = {
    installation: input.installation,
    site: input.site,
    nonce,
    mac: pairingMac(key, [
      PAIR_REQUEST,
      agentFingerprint,
      client.fingerprint,
      input.installation,
      input.site.id,
      input.site.name,
      nonce,
    ]),
  };
  const answer = await new Promise<{
    status: number;
    json: { ok: boolean; value?: PairResponse; error?: { code: string; message: string; hint?: string } };
  }>((resolve, reject) => {
    const req = https.request(
      {
        host,
        port,
        method: 'POST',
        path: '/v1/pair',
        agent: false,
        timeout: input.timeoutMs,
        cert: client.cert,
        key: client.key,
        ca: agentCert,
        checkServerIdentity: pinTo(agentFingerprint),
        minVersion: 'TLSv1.3',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString('utf8')) });
          } catch {
            reject(
              new LifeboatError(
                'forbidden',
                `The server at ${url} did not answer as a Lifeboat site agent.`,
                'Check the address and port.',
              ),
            );
          }
        });
        res.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(url, err.code ?? err.message, err)));
      },
    );
    req.on('timeout', () => req.destroy(unreachable(url, `no answer in ${Math.round(input.timeoutMs / 1000)} s`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err instanceof LifeboatError ? err : unreachable(url, err.code ?? err.message, err)),
    );
    req.end(JSON.stringify(body));
  });
  if (!answer.json.ok || !answer.json.value) {
    const e = answer.json.error ?? {
      code: 'forbidden',
      message: `The site agent at ${url} refused to pair (HTTP ${answer.status}).`,
    };
    throw new LifeboatError(e.code as never, e.message, e.hint, { final: true });
  }
  const v = answer.json.value;
  if (
    typeof v.agentId !== 'string' ||
    typeof v.root !== 'string' ||
    typeof v.mac !== 'string' ||
    !macEqual(v.mac, pairingMac(key, [PAIR_RESPONSE, agentFingerprint, client.fingerprint, nonce, v.agentId, v.root]))
  )
    throw new LifeboatError(
      'forbidden',
      `The server at ${url} did not prove it holds the pairing key: something other than your site agent may be answering there.`,
      'Check the address, and pair on a network you trust.',
      { final: true },
    );
  return {
    url,
    agentId: v.agentId,
    root: v.root,
    agentCert,
    agentFingerprint,
    clientKey: client.key,
    clientCert: client.cert,
    clientFingerprint: client.fingerprint,
  };
}
