// `hacompile init [dir]`: a commented starter topology and a .gitignore for
// its secrets, so a new user starts from something that validates and builds.
// Never overwrites: a file already there is the user's.
import { closeSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { STARTER_GITIGNORE, STARTER_TOPOLOGY } from "../init/starter.js";
import { EXIT_INVALID, EXIT_OK } from "./common.js";

const FILES: readonly { name: string; text: string }[] = [
  { name: "topology.yaml", text: STARTER_TOPOLOGY },
  { name: ".gitignore", text: STARTER_GITIGNORE },
];

const exists = (p: string): boolean => statSync(p, { throwIfNoEntry: false }) !== undefined;

export async function init(dir: string | undefined): Promise<number> {
  const folder = dir ?? ".";
  const taken = FILES.map((f) => join(folder, f.name)).filter(exists);
  if (taken.length > 0) {
    for (const p of taken) process.stderr.write(`${p}: already exists; init never overwrites a file: move it away or choose another folder [init-file-exists]\n`);
    return EXIT_INVALID;
  }
  try {
    mkdirSync(folder, { recursive: true });
    for (const f of FILES) {
      // "wx": a file that appeared since the check above is still not overwritten.
      const fd = openSync(join(folder, f.name), "wx", 0o644);
      try {
        writeSync(fd, f.text);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`${err.path ?? folder}: cannot write there (${err.code ?? "error"}) [init-write-error]\n`);
    return EXIT_INVALID;
  }
  const shown = folder === "." ? "" : `${folder}/`;
  process.stdout.write(`wrote ${shown}topology.yaml and ${shown}.gitignore\nnext: hacompile validate ${shown}topology.yaml && hacompile build ${shown}topology.yaml\n`);
  return EXIT_OK;
}
