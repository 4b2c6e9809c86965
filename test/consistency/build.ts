// In-memory builds for the consistency tests: the validated topology (the
// user's own statements, defaults filled in), the graph, and every output
// file by path, built with the fake secrets.
import { readFileSync } from "node:fs";
import type { Topology } from "../../schema/topology.js";
import { compile } from "../../src/compile.js";
import { emit } from "../../src/emit.js";
import type { Graph } from "../../src/graph/model.js";
import type { HostPlan } from "../../src/render/types.js";
import type { Secrets } from "../../src/secrets.js";
import { targets } from "../../targets/index.js";
import { DEFAULT_TARGET_OPTIONS } from "../../targets/types.js";
import { fakeSecrets } from "../helpers.js";

export interface Build {
  readonly topology: Topology;
  readonly graph: Graph;
  readonly secrets: Secrets;
  readonly plans: readonly HostPlan[];
  /** Output path (graph.json, bundle/..., compose/..., systemd/...) -> content. */
  readonly files: ReadonlyMap<string, string>;
}

export function buildText(text: string, file = "topology.yaml"): Build {
  const r = compile(text, file);
  if (!r.graph || !r.topology) throw new Error(`${file} does not compile:\n${r.diagnostics.map((d) => d.message).join("\n")}`);
  const secrets = fakeSecrets(r.graph);
  const { files, plans } = emit(r.graph, secrets, targets, DEFAULT_TARGET_OPTIONS);
  return { topology: r.topology, graph: r.graph, secrets, plans, files: new Map(files.map((f) => [f.path, f.content])) };
}

export function buildPath(path: string): Build {
  return buildText(readFileSync(path, "utf8"), path);
}

/** The bundle's copy of `path` on `host`: what lands on the host's disk. */
export function rootFile(b: Build, host: string, path: string): string {
  const content = b.files.get(`bundle/${host}/root${path}`);
  if (content === undefined) throw new Error(`bundle/${host}/root${path} is not in the output`);
  return content;
}

export function hasRootFile(b: Build, host: string, path: string): boolean {
  return b.files.has(`bundle/${host}/root${path}`);
}

/** Absolute paths of a host's bundle files below `dir` (e.g. /etc/systemd/system/). */
export function rootFilesUnder(b: Build, host: string, dir: string): string[] {
  const prefix = `bundle/${host}/root${dir}`;
  return [...b.files.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(`bundle/${host}/root`.length));
}

export function addressOf(t: Topology, host: string): string {
  const h = t.hosts[host];
  if (!h) throw new Error(`topology has no host ${host}`);
  return h.address;
}
