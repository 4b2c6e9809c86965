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
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
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

export function writeTreeAtomic(dest: string, files: readonly TreeFile[]): void {
  const parent = dirname(dest);
  const name = basename(dest);
  mkdirSync(parent, { recursive: true });
  const destKind = kindOf(dest);
  if (destKind === "other") throw new Error(`${dest} exists and is not a directory`);

  const gen = mkdtempSync(join(parent, `.${name}.gen-`));
  try {
    chmodSync(gen, 0o755); // mkdtemp makes it 0700
    for (const f of files) {
      const p = join(gen, f.path);
      mkdirSync(dirname(p), { recursive: true });
      // Created with its final mode, so a secret is never readable, even briefly.
      writeFileSync(p, f.content, { mode: f.mode, flag: "wx" });
      chmodSync(p, f.mode); // the umask may have cleared bits we asked for
    }
    const link = `${gen}.link`;
    symlinkSync(basename(gen), link);
    if (destKind === "dir") {
      // A plain directory from elsewhere (or an older hacompile): it cannot be
      // replaced atomically by a link, so move it aside first.
      const aside = `${gen}.old`;
      renameSync(dest, aside);
      renameSync(link, dest);
      rmSync(aside, { recursive: true, force: true });
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
  for (const old of staleGenerations(parent, name, current)) rmSync(old, { recursive: true, force: true });
}
