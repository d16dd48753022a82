/**
 * `lifeboat agent serve --root DIR --listen HOST:PORT [--new-pairing-key] [--json]`: runs a site agent in the
 * foreground on the recovery site's host (no data directory, no SQLite: its state lives under DIR). It prints its
 * address, certificate fingerprint and, until paired, the one-time pairing key; then one line per pairing or refusal.
 */
import { startAgentServer } from '../engine/sites/agent-server';
import { toErrorInfo } from '../engine/errors';
import { LifeboatError } from '../shared/errors';
import { formatError, noColour } from '../shared/language/format';

const USAGE = `Usage: lifeboat agent serve --root DIR --listen HOST:PORT [--new-pairing-key] [--json]

Runs a site agent: a recovery site on this host that a Lifeboat installation pairs with
(lifeboat site add NAME --agent https://HOST:PORT --pairing-key KEY). Replicas are kept under DIR.
  --root DIR           the site's data root (its own state goes in DIR/.lifeboat-agent, 0700)
  --listen HOST:PORT   the address to listen on, e.g. 10.0.0.5:8443 or 0.0.0.0:8443 (port 0: any free port)
  --new-pairing-key    open a new one-time pairing key (pairing with it replaces the installation paired now)
  --json               print the start-up record as one JSON line
`;

function parseListen(text: string | undefined): { host: string; port: number } {
  const m = text ? /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text) : null;
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new LifeboatError(
      'invalid_input',
      `--listen: give HOST:PORT (got ${text ?? 'nothing'}).`,
      'For example --listen 0.0.0.0:8443, or [::]:8443.',
    );
  return { host: m[1] ?? m[2], port };
}

export async function agentCommand(argv: string[]): Promise<number> {
  if (argv[0] !== 'serve' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return argv[0] === 'serve' || argv.length === 0 || argv[0] === 'help' ? 0 : 2;
  }
  let root: string | undefined;
  let listen: string | undefined;
  let newKey = false;
  let json = false;
  try {
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--root') root = argv[++i];
      else if (a === '--listen') listen = argv[++i];
      else if (a === '--new-pairing-key') newKey = true;
      else if (a === '--json') json = true;
      else
        throw new LifeboatError('invalid_input', `agent serve: unknown argument ${a}.`, 'See `lifeboat agent --help`.');
    }
    if (!root)
      throw new LifeboatError('invalid_input', 'agent serve needs --root DIR: the folder where the replicas are kept.');
    const { host, port } = parseListen(listen);
    const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const server = await startAgentServer({ root, host, port, newKey, log });
    const { state } = server;
    const record = {
      url: server.url,
      port: server.port,
      root: state.dir.replace(/\/\.lifeboat-agent$/, ''),
      fingerprint: server.fingerprint,
      pairingKey: state.pairingKey,
      paired: state.paired,
    };
    if (json) process.stdout.write(`${JSON.stringify(record)}\n`);
    else {
      process.stdout.write(
        `Lifeboat site agent listening on ${server.url}\n  root         ${record.root}\n  certificate  SHA-256 ${server.fingerprint}\n`,
      );
      if (state.paired)
        process.stdout.write(
          `  paired with  ${state.paired.installation} (its site ${state.paired.siteName}) since ${state.paired.pairedAt}\n`,
        );
      if (state.pairingKey)
        process.stdout.write(
          `  pairing key  ${state.pairingKey}  (one-time)\n\nOn the Lifeboat installation:\n  lifeboat site add NAME --agent ${server.url} --pairing-key ${state.pairingKey}\n`,
        );
      else process.stdout.write('  To pair another installation, restart with --new-pairing-key.\n');
    }
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  } catch (err) {
    const info = toErrorInfo(err);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: info })}\n`);
    else process.stderr.write(formatError(info, noColour));
    return info.code === 'invalid_input' ? 2 : 1;
  }
}
