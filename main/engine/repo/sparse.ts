/**
 * Finding the data in a sparse volume image without reading its holes.
 *
 * Node 20 has no lseek(SEEK_DATA/SEEK_HOLE) and no FIEMAP, and the project ships no native addon. What we do:
 * 1. stat(): when the allocated blocks cover the size, the file has no holes: read it all.
 * 2. Otherwise ask the kernel through perl, which exposes lseek as sysseek() and is part of the base system on
 *    Debian/Ubuntu (perl-base is Essential), Fedora/RHEL workstations and macOS. Constants differ by OS.
 * 3. Without perl (Windows, minimal containers): read everything and skip all-zero blocks ("zero-scan"). Holes are
 *    then read (as zeros, which costs no disk I/O but does cost CPU) yet still neither stored nor restored.
 * Whatever the method, all-zero blocks inside data are also recorded as holes, so they are never stored.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';

export interface DataExtent {
  offset: number;
  length: number;
}

export type SparseMethod = 'dense' | 'seek-data' | 'zero-scan';

// SEEK_DATA, SEEK_HOLE by platform (Linux, FreeBSD, Solaris: 3, 4; macOS: 4, 3).
const SEEK: Partial<Record<NodeJS.Platform, [number, number]>> = { linux: [3, 4], freebsd: [3, 4], sunos: [3, 4], darwin: [4, 3] };

const PERL = `
open(my $f, '<', $ARGV[0]) or die "open: $!\\n";
my ($sd, $sh) = ($ARGV[1], $ARGV[2]); my $end = -s $f; my $p = 0;
while ($p < $end) {
  my $d = sysseek($f, $p, $sd); last unless defined $d;
  my $h = sysseek($f, $d, $sh); die "seek: $!\\n" unless defined $h;
  print $d + 0, " ", $h + 0, "\\n"; $p = $h;
}`;

function perlExtents(file: string, seek: [number, number]): Promise<DataExtent[] | undefined> {
  return new Promise((resolve) => {
    execFile('perl', ['-e', PERL, file, String(seek[0]), String(seek[1])], { maxBuffer: 256 << 20, timeout: 120_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const out: DataExtent[] = [];
      for (const line of stdout.split('\n')) {
        const [a, b] = line.split(' ').map(Number);
        if (Number.isFinite(a) && Number.isFinite(b) && b > a) out.push({ offset: a, length: b - a });
      }
      resolve(out);
    });
  });
}

let perlMissing = false;

/** The byte ranges of an image file that may hold data, and how we found them. */
export async function findDataExtents(file: string, opts: { method?: SparseMethod } = {}): Promise<{ extents: DataExtent[]; method: SparseMethod }> {
  const st = await fs.promises.stat(file);
  const all = st.size > 0 ? [{ offset: 0, length: st.size }] : [];
  if (opts.method === 'zero-scan') return { extents: all, method: 'zero-scan' };
  if (opts.method !== 'seek-data' && st.blocks * 512 >= st.size) return { extents: all, method: 'dense' };
  const seek = SEEK[process.platform];
  if (seek && !perlMissing) {
    const found = await perlExtents(file, seek);
    if (found) return { extents: found, method: 'seek-data' };
    perlMissing = true; // one failed spawn is enough to stop trying for this process
  }
  return { extents: all, method: 'zero-scan' };
}

/** The indexes of fixed blocks that overlap any extent, ascending. */
export function blocksTouched(extents: DataExtent[], blockSize: number, size: number): number[] {
  const out: number[] = [];
  let last = -1;
  for (const e of extents) {
    const first = Math.floor(e.offset / blockSize);
    const end = Math.ceil(Math.min(e.offset + e.length, size) / blockSize);
    for (let b = Math.max(first, last + 1); b < end; b++) out.push((last = b));
  }
  return out;
}
