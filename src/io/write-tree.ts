// Writes a whole output tree so that the destination holds either the old
// output or the new one, never a mix: everything goes to a temporary sibling
// folder, which then replaces the destination with renames.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface TreeFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export function writeTreeAtomic(dest: string, files: readonly TreeFile[]): void {
  const parent = dirname(dest);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(dest)}.new-`));
  chmodSync(tmp, 0o755); // mkdtemp makes it 0700
  try {
    for (const f of files) {
      const p = join(tmp, f.path);
      mkdirSync(dirname(p), { recursive: true });
      // Created with its final mode: a secret is never readable, even briefly.
      writeFileSync(p, f.content, { mode: f.mode, flag: "wx" });
      chmodSync(p, f.mode); // the umask may have removed bits we asked for
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${tmp}.old`;
  const hadOld = existsSync(dest);
  if (hadOld) renameSync(dest, old);
  try {
    renameSync(tmp, dest);
  } catch (e) {
    if (hadOld) renameSync(old, dest);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
}
