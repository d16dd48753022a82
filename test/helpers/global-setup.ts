/**
 * Vitest global setup: builds dist/main once for the whole run, when a source is newer than the last build, before
 * any test file starts. Test files' buildMain() then returns at once (LIFEBOAT_TEST_BUILT): no file spawns the
 * build script again, and no file rewrites the CLI bundle while another file, in the other worker, is loading it.
 */
import { buildMain, BUILT_ENV } from './home';

export default function setup(): void {
  buildMain();
  process.env[BUILT_ENV] = '1';
}
