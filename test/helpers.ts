// Shared test plumbing: repository paths, an in-memory build with the fake
// secrets, and golden-tree comparison (UPDATE_GOLDENS=1 rewrites them).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { build } from "../src/build.js";
import type { Graph } from "../src/graph/model.js";
import type { HostPlan } from "../src/render/types.js";
import { completeSecrets, type Secrets } from "../src/secrets.js";
import type { OutFile } from "../targets/types.js";

/** The repository root (tests run from dist/test). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const UPDATE = process.env["UPDATE_GOLDENS"] === "1";

export function fakeSecrets(graph: Graph): Secrets {
  const existing = parse(readFileSync(join(ROOT, "test/fixtures/fake.secrets.yaml"), "utf8")) as Partial<Secrets>;
  const { secrets, generated } = completeSecrets(graph, existing, () => {
    throw new Error("test/fixtures/fake.secrets.yaml lacks a secret this topology needs");
  });
  if (generated.length > 0) throw new Error("fake secrets incomplete");
  return secrets;
}

export interface Built {
  readonly graph: Graph;
  readonly files: OutFile[];
  readonly plans: readonly HostPlan[];
}

/** Compiles a topology file and emits every target, in memory. Throws on diagnostics with errors. */
export function buildFile(path: string): Built {
  const text = readFileSync(path, "utf8");
  // The pipeline the CLI and the lab run, with the fixture's secrets and every target.
  const r = build(text, { file: relative(ROOT, path), secrets: fakeSecrets });
  if (!r.graph || !r.files || !r.hosts) throw new Error(`${path} does not compile:\n${r.diagnostics.map((d) => d.message).join("\n")}`);
  return { graph: r.graph, files: r.files, plans: r.hosts };
}

/** Every file below dir, as relative POSIX paths, sorted. */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function writeTree(dir: string, files: readonly { path: string; content: string }[]): void {
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
}

/** Problems between an expected tree on disk and files in memory: missing, extra, differing. */
export function diffTree(dir: string, files: readonly { path: string; content: string }[]): string[] {
  const problems: string[] = [];
  const want = new Set(listTree(dir));
  const got = new Map(files.map((f) => [f.path, f.content]));
  for (const p of want) if (!got.has(p)) problems.push(`missing from output: ${p}`);
  for (const p of got.keys()) if (!want.has(p)) problems.push(`not in goldens: ${p}`);
  for (const [p, content] of got) {
    if (!want.has(p)) continue;
    const expected = readFileSync(join(dir, p), "utf8");
    if (expected !== content) problems.push(`differs: ${p}\n${firstDifference(expected, content)}`);
  }
  return problems;
}

function firstDifference(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `  line ${i + 1}:\n  - ${al[i] ?? "(end of file)"}\n  + ${bl[i] ?? "(end of file)"}`;
  }
  return "";
}

/** Folders directly below dir that hold a topology.yaml. */
export function caseDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => existsSync(join(dir, e, "topology.yaml")))
    .sort();
}
