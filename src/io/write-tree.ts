// Publishes a whole output tree so that the destination always holds either
// the old output or the new one, never a mix and never nothing.
//
// The tree is written into a fresh generation folder beside the destination
// (`.NAME.gen-XXXX`), and the destination is a symlink to it. Publishing is one
// rename(2) of a new symlink over the old one, which POSIX makes atomic; a
// directory cannot be renamed onto a non-empty directory, which is why the
// destination is a link. A build killed at any point leaves the old link and
// its generation intact (plus, at worst, an orphaned generation folder that
// the next build removes).
import {
  chmodSync,
  closeSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface TreeFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

function kindOf(p: string): "missing" | "link" | "dir" | "other" {
  try {
    const st = lstatSync(p);
    return st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "other";
  } catch {
    return "missing";
  }
}

/** Generation folders of `dest` that the current link does not point to. */
function staleGenerations(parent: string, name: string, keep: string | undefined): string[] {
  const prefix = `.${name}.gen-`;
  return readdirSync(parent)
    .filter((e) => e.startsWith(prefix) && e !== keep)
    .map((e) => join(parent, e));
}

/** Every folder below `root` that the files need, parents before children, each once. */
function foldersOf(root: string, paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    for (let d = dirname(p); d.length > root.length && !dirs.has(d); d = dirname(d)) dirs.add(d);
  }
  // A parent's path is a prefix of its children's, so it sorts first.
  return [...dirs].sort();
}

/**
 * Writes the files under `root` (an empty folder) with few system calls:
 * one mkdir per folder, then open, write, fchmod and close per file (a
 * recursive mkdir per file, as before, cost a failed mkdir and stats for
 * every file of an existing folder).
 */
function writeFiles(root: string, files: readonly TreeFile[]): void {
  const paths = files.map((f) => join(root, f.path));
  for (const d of foldersOf(root, paths)) mkdirSync(d);
  files.forEach((f, i) => {
    // Created with its final mode, so a secret is never readable, even briefly.
    const fd = openSync(paths[i]!, "wx", f.mode);
    try {
      writeFileSync(fd, f.content); // the whole string, even if one write(2) takes less
      fchmodSync(fd, f.mode); // the umask may have cleared bits we asked for
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * Removes a tree we wrote: file types come with the directory listing, so
 * there is no stat per entry and no failed rmdir per folder, which made
 * fs.rmSync three times slower on a large output. Anything unexpected
 * (a folder changed under us) falls back to rmSync.
 */
function removeTree(dir: string): void {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) removeTree(p);
      else unlinkSync(p);
    }
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeTreeAtomic(dest: string, files: readonly TreeFile[]): void {
  const parent = dirname(dest);
  const name = basename(dest);
  mkdirSync(parent, { recursive: true });
  const destKind = kindOf(dest);
  if (destKind === "other") throw new Error(`${dest} exists and is not a directory`);

  const gen = mkdtempSync(join(parent, `.${name}.gen-`));
  try {
    chmodSync(gen, 0o755); // mkdtemp makes it 0700
    writeFiles(gen, files);
    const link = `${gen}.link`;
    symlinkSync(basename(gen), link);
    if (destKind === "dir") {
      // A plain directory from elsewhere (or an older hacompile): it cannot be
      // replaced atomically by a link, so move it aside first.
      const aside = `${gen}.old`;
      renameSync(dest, aside);
      renameSync(link, dest);
      removeTree(aside);
    } else {
      renameSync(link, dest);
    }
  } catch (e) {
    rmSync(gen, { recursive: true, force: true });
    rmSync(`${gen}.link`, { force: true });
    throw e;
  }
  // Only now is the old generation unreachable; remove it and any orphans.
  const current = readlinkSync(dest);
  for (const old of staleGenerations(parent, name, current)) removeTree(old);
}
