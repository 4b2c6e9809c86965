// Publishes a whole output tree so that the destination always holds either
// the old output or the new one, never a mix and never nothing, and so that
// nothing but a previous output of hacompile is ever replaced.
//
// The tree is written into a fresh generation folder beside the destination
// (`.NAME.gen-XXXX`), and the destination is a symlink to it. Publishing is one
// rename(2) of a new symlink over the old one, which POSIX makes atomic; a
// directory cannot be renamed onto a non-empty directory, which is why the
// destination is a link. A build killed at any point leaves the old link and
// its generation intact (plus, at worst, an orphaned generation folder that
// the next build removes).
//
// What may be replaced is decided before anything is written (see
// inspectOutput): a missing path, an empty folder, or an output that carries
// hacompile's marker and holds only the files it lists. Old outputs are
// removed file by file from their marker's list, never recursively, so a
// file that appears in one meanwhile survives.
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
import { firstForeign, MARKER, markerContent, readMarker } from "./output-marker.js";

export interface TreeFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** Why an output path cannot be used: one line for the user, with a stable code. */
export interface OutputProblem {
  readonly path: string;
  readonly message: string;
  readonly code: string;
}

/** What is at the destination now, and what publishing replaces. */
export type OutputPlan =
  | { readonly dest: string; readonly kind: "missing" | "empty-dir" }
  /** A link to an earlier generation, or an earlier output as a plain folder. */
  | { readonly dest: string; readonly kind: "link" | "dir"; readonly old: string; readonly oldFiles: ReadonlySet<string> };

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? "error";
}

function problem(path: string, code: string, message: string): { problem: OutputProblem } {
  return { problem: { path, code, message } };
}

type Kind = "missing" | "link" | "dir" | "file" | "under-file";

function kindOf(p: string): Kind {
  try {
    const st = lstatSync(p);
    return st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "file";
  } catch (e) {
    return errnoOf(e) === "ENOTDIR" ? "under-file" : "missing";
  }
}

/** A generation folder's name for the destination `name`, as mkdtemp makes it. */
function isGenerationOf(entry: string, name: string): boolean {
  return entry.startsWith(`.${name}.gen-`) && /^[A-Za-z0-9]{6}$/.test(entry.slice(name.length + 6));
}

const NOT_OURS_HINT = "hacompile replaces only folders it wrote, which hold a .hacompile-output file (outputs of older versions have none: delete such a folder yourself)";

/** An earlier output at `dir` (marked, nothing foreign), or the problem with it. */
function earlier(dest: string, dir: string): { oldFiles: ReadonlySet<string> } | { problem: OutputProblem } {
  const listed = readMarker(dir);
  if (listed === undefined) {
    const some = readdirSync(dir).slice(0, 3);
    return problem(dest, "out-not-ours", `not an output of hacompile build (it holds ${some.join(", ")}${some.length === 3 ? ", ..." : ""}); choose a new or empty folder for -o: ${NOT_OURS_HINT}`);
  }
  const foreign = firstForeign(dir, listed);
  if (foreign !== undefined)
    return problem(join(dest, foreign), "out-foreign-file", `not written by hacompile; move it out of ${dest}, which the next build replaces, and build again`);
  return { oldFiles: listed };
}

/**
 * Decides, before anything is written, whether `dest` may receive a build.
 * `createParents` is for the default out/<name>; a parent the user named must exist.
 */
export function inspectOutput(dest: string, createParents: boolean): { plan: OutputPlan } | { problem: OutputProblem } {
  const parent = dirname(dest);
  const parentKind = kindOf(parent);
  if (parentKind === "under-file" || parentKind === "file")
    return problem(dest, "out-under-file", `a path under a file (${parentKind === "file" ? parent : "one of its parents"} is not a folder); choose another -o`);
  if (parentKind === "missing") {
    if (!createParents) return problem(parent, "out-parent-missing", `no such folder; create it first (mkdir -p ${parent}) or choose another -o`);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (e) {
      return problem(parent, "out-write-error", `cannot create the output's parent folder (${errnoOf(e)}); choose another -o`);
    }
  }
  const kind = kindOf(dest);
  switch (kind) {
    case "missing":
      return { plan: { dest, kind: "missing" } };
    case "file":
    case "under-file":
      return problem(dest, "out-is-file", "is a file, not a folder; hacompile writes a folder of files there: choose another -o");
    case "link": {
      const target = readlinkSync(dest);
      if (!isGenerationOf(target, basename(dest)) || kindOf(join(parent, target)) !== "dir")
        return problem(dest, "out-not-ours", `a symbolic link that hacompile did not make (to ${target}); remove it or choose another -o`);
      const e = earlier(dest, join(parent, target));
      return "problem" in e ? e : { plan: { dest, kind: "link", old: join(parent, target), oldFiles: e.oldFiles } };
    }
    case "dir": {
      if (readdirSync(dest).length === 0) return { plan: { dest, kind: "empty-dir" } };
      const e = earlier(dest, dest);
      return "problem" in e ? e : { plan: { dest, kind: "dir", old: dest, oldFiles: e.oldFiles } };
    }
  }
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
 * one mkdir per folder, then open, write, fchmod and close per file. The
 * marker goes first, so a build killed halfway leaves a generation that the
 * next build recognises and removes.
 */
function writeFiles(root: string, files: readonly TreeFile[]): void {
  const all: TreeFile[] = [{ path: MARKER, content: markerContent(files.map((f) => f.path)), mode: 0o644 }, ...files];
  const paths = all.map((f) => join(root, f.path));
  writeOne(paths[0]!, all[0]!); // before any folder: a killed build's generation is recognisable from its first entry
  for (const d of foldersOf(root, paths)) mkdirSync(d);
  all.forEach((f, i) => {
    if (i > 0) writeOne(paths[i]!, f);
  });
}

function writeOne(path: string, f: TreeFile): void {
  {
    // Created with its final mode, so a secret is never readable, even briefly.
    const fd = openSync(path, "wx", f.mode);
    try {
      writeFileSync(fd, f.content); // the whole string, even if one write(2) takes less
      fchmodSync(fd, f.mode); // the umask may have cleared bits we asked for
    } finally {
      closeSync(fd);
    }
  }
}

function ignoring(codes: readonly string[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!codes.includes(errnoOf(e))) throw e;
  }
}

/**
 * Removes an earlier output: the files its marker lists, the marker, then
 * the folders left empty. Nothing else is deleted: a file that appeared
 * since the check stays, and so does its folder.
 */
function removeListed(root: string, listed: ReadonlySet<string>): void {
  for (const p of [...listed, MARKER]) ignoring(["ENOENT"], () => unlinkSync(join(root, p)));
  removeEmptyFolders(root);
}

/**
 * Removes `dir` and the folders below it that hold no file, deepest first
 * (a build killed between its mkdirs and its files leaves such folders).
 * A folder with anything in it stays, and so do its parents.
 */
function removeEmptyFolders(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeEmptyFolders(join(dir, e.name));
  ignoring(["ENOENT", "ENOTEMPTY", "EEXIST"], () => rmdirSync(dir));
}

/**
 * Leftovers of killed builds beside `dest`: generations the link does not
 * point to (their listed files, and folders left empty), their temporary
 * links and moved-aside folders. Nothing unlisted is deleted.
 */
function removeLeftovers(parent: string, name: string, current: string): void {
  for (const e of readdirSync(parent)) {
    const stem = e.replace(/\.(link|old)$/, "");
    if (e === current || !isGenerationOf(stem, name)) continue;
    const p = join(parent, e);
    const kind = kindOf(p);
    if (kind === "link" && e.endsWith(".link")) ignoring(["ENOENT"], () => unlinkSync(p));
    if (kind !== "dir") continue;
    const listed = readMarker(p);
    if (listed !== undefined) removeListed(p, listed);
    else removeEmptyFolders(p);
  }
}

/** Writes and publishes the tree as `plan` allows; an I/O failure leaves the old output and is returned. */
export function publishTree(plan: OutputPlan, files: readonly TreeFile[]): OutputProblem | undefined {
  const { dest } = plan;
  const parent = dirname(dest);
  const name = basename(dest);
  let gen: string;
  try {
    gen = mkdtempSync(join(parent, `.${name}.gen-`));
  } catch (e) {
    return { path: dest, code: "out-write-error", message: `cannot create a folder beside it (${errnoOf(e)}); choose another -o` };
  }
  try {
    chmodSync(gen, 0o755); // mkdtemp makes it 0700
    writeFiles(gen, files);
    const link = `${gen}.link`;
    symlinkSync(basename(gen), link);
    if (plan.kind === "dir" || plan.kind === "empty-dir") {
      // A folder cannot be replaced atomically by a link: move it aside first.
      const aside = `${gen}.old`;
      renameSync(dest, aside);
      renameSync(link, dest);
      if (plan.kind === "dir") removeListed(aside, plan.oldFiles);
      else removeEmptyFolders(aside);
    } else {
      renameSync(link, dest);
    }
  } catch (e) {
    // Only the generation this call created (and its link) go; the old output is untouched.
    rmSync(gen, { recursive: true, force: true });
    rmSync(`${gen}.link`, { force: true });
    return { path: dest, code: "out-write-error", message: `cannot write the output (${errnoOf(e)}); the previous output, if any, is unchanged` };
  }
  // Only now is the old generation unreachable; remove it and any orphans.
  if (plan.kind === "link") removeListed(plan.old, plan.oldFiles);
  removeLeftovers(parent, name, readlinkSync(dest));
  return undefined;
}

/** inspectOutput then publishTree, for callers without a user to report to (tests): a problem throws. */
export function writeTreeAtomic(dest: string, files: readonly TreeFile[]): void {
  const r = inspectOutput(dest, true);
  const p = "problem" in r ? r.problem : publishTree(r.plan, files);
  if (p !== undefined) throw new Error(`${p.path}: ${p.message} [${p.code}]`);
}
