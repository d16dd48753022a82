/**
 * Finding the data in a sparse volume image, or a sparse file in a share, without reading its holes.
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

/** SEEK_DATA, SEEK_HOLE by platform (Linux, FreeBSD, Solaris: 3, 4; macOS: 4, 3), for perl's sysseek(). */
export const SEEK: Partial<Record<NodeJS.Platform, [number, number]>> = {
  linux: [3, 4],
  freebsd: [3, 4],
  sunos: [3, 4],
  darwin: [4, 3],
};

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
    execFile(
      'perl',
      ['-e', PERL, file, String(seek[0]), String(seek[1])],
      { maxBuffer: 256 << 20, timeout: 120_000 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        const out: DataExtent[] = [];
        for (const line of stdout.split('\n')) {
          const [a, b] = line.split(' ').map(Number);
          if (Number.isFinite(a) && Number.isFinite(b) && b > a) out.push({ offset: a, length: b - a });
        }
        resolve(out);
      },
    );
  });
}

let perlMissing = false;

/** The byte ranges of an image file that may hold data, and how we found them. */
export async function findDataExtents(
  file: string,
  opts: { method?: SparseMethod } = {},
): Promise<{ extents: DataExtent[]; method: SparseMethod }> {
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

/**
 * Perl, for the open file $f of $end bytes and the seek constants $sd, $sh: prints "d h" per data extent, or "X" when a
 * seek failed other than at the end of data (ENXIO): then nothing is known and the file is read whole.
 */
export const PERL_EXTENT_LOOP = `
  my $p = 0;
  while ($p < $end) {
    my $d = sysseek($f, $p, $sd);
    unless (defined $d) { print "X\\n" unless $!{ENXIO}; last; }
    my $h = sysseek($f, $d, $sh);
    unless (defined $h) { print "X\\n"; last; }
    print $d + 0, " ", $h + 0, "\\n"; $p = $h;
  }`;

// Many files in one perl: names come NUL-separated on stdin (no argv length limit), and per file it prints "F size"
// then its data extents, "E" when the file cannot be opened, or "X" when a seek failed other than at the end of data
// (ENXIO): then nothing is known and the file is read whole.
const PERL_MANY = `
$/ = "\\0"; my ($sd, $sh) = @ARGV;
while (my $name = <STDIN>) {
  chomp $name;
  my $f; unless (open($f, '<', $name)) { print "E\\n"; next; }
  my $end = -s $f; print "F $end\\n";
${PERL_EXTENT_LOOP}
  close $f;
}`;

/** A file's size when its extents were asked for, and its data extents within that size. */
export interface FileExtents {
  size: number;
  extents: DataExtent[];
}

/**
 * The data extents of many files (share files whose allocated blocks are fewer than their size) with one perl process
 * for all of them. Per file: its extents, or undefined when they could not be found (read it whole). Undefined for
 * the whole list without perl or SEEK_DATA on this platform.
 */
export function findFileExtents(files: string[]): Promise<Array<FileExtents | undefined> | undefined> {
  const seek = SEEK[process.platform];
  if (!files.length) return Promise.resolve([]);
  if (!seek || perlMissing) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(
      'perl',
      ['-e', PERL_MANY, String(seek[0]), String(seek[1])],
      { maxBuffer: 1 << 30, timeout: 600_000 },
      (err, stdout) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') perlMissing = true;
          return resolve(undefined);
        }
        const out: Array<FileExtents | undefined> = [];
        let current: FileExtents | undefined;
        for (const line of stdout.split('\n')) {
          if (line === 'E' || line.startsWith('F ')) {
            current = line === 'E' ? undefined : { size: Number(line.slice(2)), extents: [] };
            out.push(current);
          } else if (line === 'X') out[out.length - 1] = current = undefined;
          else if (current && line) {
            const [a, b] = line.split(' ').map(Number);
            const length = Math.min(b, current.size) - a; // data past the size asked about (the file grew) is left out
            if (Number.isFinite(a) && length > 0) current.extents.push({ offset: a, length });
          }
        }
        resolve(out.length === files.length ? out : undefined);
      },
    );
    child.stdin?.on('error', () => undefined); // perl gone early: the callback reports it
    child.stdin?.end(files.join('\0') + '\0');
  });
}

/** findFileExtents for items naming files: those whose extents were found. */
export async function extentsOf<T>(items: T[], file: (item: T) => string): Promise<Map<T, FileExtents>> {
  const out = new Map<T, FileExtents>();
  if (!items.length) return out;
  const found = await findFileExtents(items.map(file));
  items.forEach((item, i) => {
    const f = found?.[i];
    if (f) out.set(item, f);
  });
  return out;
}

/**
 * The holes of a file of `size` bytes whose data extents (sorted) are `data`: [offset, length] pairs, what a manifest
 * records for a sparse file in a share.
 */
export function holesOf(data: DataExtent[], size: number): Array<[number, number]> {
  const holes: Array<[number, number]> = [];
  let at = 0;
  for (const e of data) {
    if (e.length <= 0) continue;
    if (e.offset > at) holes.push([at, e.offset - at]);
    at = Math.max(at, e.offset + e.length);
  }
  if (at < size) holes.push([at, size - at]);
  return holes;
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
