/**
 * Data extents (SEEK_DATA/SEEK_HOLE) of disk images from one long-lived perl process. Node 20 has no such lseek and
 * repo/sparse.ts spawns a perl per query, which costs tens to hundreds of ms on a loaded machine: inside a cycle's
 * instant (replication/stage.ts) that is long enough for a busy writer to tear most reads. Here one perl per engine
 * answers each query in about a millisecond: a file name per line in, "d h" lines and "." out. When perl cannot run,
 * or answers "X", the caller falls back to repo/sparse.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { findDataExtents, PERL_EXTENT_LOOP, SEEK, type DataExtent } from '../repo/sparse';

const SCRIPT = `
$| = 1; $/ = "\\0"; my ($sd, $sh) = @ARGV;
while (my $name = <STDIN>) {
  chomp $name;
  my $f; unless (open($f, '<', $name)) { print "X\\n.\\n"; next; }
  my $end = -s $f;
${PERL_EXTENT_LOOP}
  close $f; print ".\\n";
}`;

let child: ChildProcessWithoutNullStreams | null = null;
let broken = false;
let buffer = '';
const waiting: ((lines: string[] | null) => void)[] = [];
let queue: Promise<unknown> = Promise.resolve();

function start(): ChildProcessWithoutNullStreams | null {
  const seek = SEEK[process.platform];
  if (broken || !seek) return null;
  if (child) return child;
  const c = spawn('perl', ['-e', SCRIPT, String(seek[0]), String(seek[1])], { stdio: ['pipe', 'pipe', 'pipe'] });
  c.unref();
  for (const s of [c.stdin, c.stdout, c.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  const lines: string[] = [];
  c.stdout.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line !== '.') lines.push(line);
      else waiting.shift()?.(lines.splice(0));
    }
  });
  const fail = () => {
    broken = true;
    child = null;
    for (const w of waiting.splice(0)) w(null);
  };
  c.on('error', fail);
  c.on('exit', fail);
  c.stdin.on('error', fail);
  return (child = c);
}

/** The data extents of `file`: from the long-lived perl, else from repo/sparse.ts. */
export function dataExtents(file: string): Promise<DataExtent[]> {
  const run = queue.then(async () => {
    const c = start();
    const lines = c
      ? await new Promise<string[] | null>((resolve) => {
          waiting.push(resolve);
          c.stdin.write(`${file}\0`);
        })
      : null;
    if (!lines || lines.includes('X')) return (await findDataExtents(file)).extents;
    return lines.map((l) => {
      const [d, h] = l.split(' ').map(Number);
      return { offset: d, length: h - d };
    });
  });
  queue = run.catch(() => undefined);
  return run;
}
