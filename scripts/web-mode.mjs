// How web mode is launched, shared by `npm start` and `npm run bench` so the bench measures the app as users run it.
import path from 'node:path';

/**
 * Node flags for the web-mode process. The main thread mostly waits (jobs run in worker threads), but loading the
 * bundle grows V8's young generation to 16 MiB semi-spaces that are never given back: a 1 MiB semi-space keeps
 * about 8 MiB off the app's resident memory for scavenges that still take well under a millisecond.
 */
export const WEB_NODE_FLAGS = ['--max-semi-space-size=1'];

/** The command line of web mode: node, its flags, the bundle and the app's own arguments. */
export const webModeArgs = (root, args) => [...WEB_NODE_FLAGS, path.join(root, 'dist/main/web.cjs'), ...args];
