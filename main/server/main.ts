/** Web mode entry: `npm start` without Electron's binary, or `node dist/main/web.cjs [--home DIR] [--port N] [--no-open]`. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toErrorInfo } from '../engine/errors';
import { resolveDataDir } from '../engine/paths';
import { startRuntime } from './runtime';
import { startWebServer } from './web';

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser: the printed URL is enough.
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      home: { type: 'string' },
      port: { type: 'string' },
      'no-open': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(
      'Usage: lifeboat-web [--home DIR] [--port N] [--no-open]\nServes Lifeboat on 127.0.0.1 and prints the address to open.',
    );
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port takes a port number from 0 to 65535, not ${values.port}.`);
  const runtime = await startRuntime({ dataDir: resolveDataDir(values.home), mode: 'web' });
  const web = await startWebServer(runtime.engine, {
    port,
    rendererDir: path.resolve(__dirname, '..', 'renderer'),
  }).catch(async (err) => {
    await runtime.close();
    throw err;
  });
  runtime.engine.lock.update({ url: web.url });
  console.log(`Lifeboat is running at ${web.url}`);
  console.log(`Data directory: ${runtime.engine.dataDir}. Press Ctrl+C to stop.`);
  if (!values['no-open']) openBrowser(web.url);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await web.close();
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  const info = toErrorInfo(err);
  console.error(`Lifeboat could not start: ${info.message}${info.hint ? `\n${info.hint}` : ''}`);
  process.exit(1);
});
