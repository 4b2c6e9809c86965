// Shared by the hardening tests: secrets with known, distinct values, the
// language of every generated file, and an independent statement of how user
// text must look inside a diagnostic.
import { compile } from "../../src/compile.js";
import { emit, type Emitted } from "../../src/emit.js";
import type { Graph } from "../../src/graph/model.js";
import type { HostPlan } from "../../src/render/types.js";
import { completeSecrets, type Secrets } from "../../src/secrets.js";
import { targets } from "../../targets/index.js";
import { DEFAULT_TARGET_OPTIONS } from "../../targets/types.js";
import type { OutFile } from "../../targets/types.js";

/**
 * Secrets whose values are known and distinct: "HARDENING" + a counter,
 * padded to the length asked. Distinct so that a leak can be traced to one.
 */
export function knownSecrets(graph: Graph): Secrets {
  let n = 0;
  const random = (len: number): string => {
    n++;
    const s = `HARDENING${String(n).padStart(4, "0")}`;
    return (s + "k".repeat(len)).slice(0, len);
  };
  return completeSecrets(graph, undefined, random).secrets;
}

/** Every secret value, for grepping output. */
export function secretValues(s: Secrets): string[] {
  return [...Object.values(s.databases).flatMap((d) => [d.root, d.app, d.replication]), ...Object.values(s.salts), s.wordpressAdmin];
}

export interface Built extends Emitted {
  readonly graph: Graph;
  readonly secrets: Secrets;
}

/** Compiles and emits every target in memory; undefined when the topology has errors. */
export function buildText(text: string): Built | undefined {
  const r = compile(text, "topology.yaml");
  if (!r.graph) return undefined;
  const secrets = knownSecrets(r.graph);
  return { graph: r.graph, secrets, ...emit(r.graph, secrets, targets, DEFAULT_TARGET_OPTIONS) };
}

/** Target-level files, by name; anything else is a host file and takes its plan's kind. */
const PACKAGING: Record<string, string> = {
  "graph.json": "json",
  "manifest.json": "json",
  "compose.yaml": "compose",
  ".env": "dotenv",
  Dockerfile: "dockerfile",
  "user-data": "cloud-config",
  "install.sh": "shell",
  "hacompile-compose": "shell",
  "hacompile-health": "shell",
  "hacompile-need-secrets": "shell",
  "supervisord.conf": "supervisord",
  "README.txt": "text",
  "SECRETS.txt": "text",
};

/** The language a generated file is read in; undefined for encoded copies (user-data.gz.b64). */
export function languageOf(f: OutFile, plans: readonly HostPlan[]): string | undefined {
  const base = f.path.slice(f.path.lastIndexOf("/") + 1);
  if (base.endsWith(".gz.b64")) return undefined;
  if (base.endsWith(".html")) return "html";
  const hostFile = plans.flatMap((p) => p.files).find((h) => f.path.endsWith(h.path));
  if (hostFile) return hostFile.kind;
  // Units and drop-ins the targets add (hacompile.target, secret assertions).
  if (f.path.includes("/etc/systemd/system/")) return "systemd";
  return PACKAGING[base] ?? "text";
}

/** How a diagnostic must show user text: printable ASCII as is, the rest as \u escapes, cut after 40 characters. */
export function expectedShown(s: string): string {
  const chars = Array.from(s);
  const esc = (c: string): string => {
    const cp = c.codePointAt(0)!;
    if (cp >= 0x20 && cp < 0x7f) return c;
    const hex = cp.toString(16).toUpperCase();
    return cp > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, "0")}`;
  };
  const head = chars.slice(0, 40).map(esc).join("");
  return chars.length > 40 ? `${head}... (${chars.length} characters)` : head;
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, col: offset - nl };
}
