// Every key of the topology language, described from the zod schema's JSON
// Schema form (its descriptions, defaults and bounds), for `hacompile
// explain` and docs/topology-reference.md. One walk serves both, so the
// reference cannot say something the CLI does not enforce.
import { z } from "zod";
import { AbsPath, CIDR, DnsLabel, DomainName, Email, IPv4, RoutePath, SqlIdent, Title, Topology } from "../../schema/topology.js";

/** A JSON Schema node as zod writes it (the parts read here). */
export interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: Node | boolean;
  readonly propertyNames?: Node;
  readonly items?: Node;
  readonly anyOf?: readonly Node[];
  readonly oneOf?: readonly Node[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface KeyDoc {
  /** Dotted, with <name> for a name you choose and [] for a list item: pools.<name>.hosts, loadbalancer.routes[].path. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: string;
  readonly bounds: readonly string[];
  readonly description?: string;
  /** For a key of one failover mode only: the modes that have it. */
  readonly only?: string;
  /** The keys one level down, for a mapping. */
  readonly keys: readonly string[];
}

const json = (schema: z.ZodType): Node => z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Node;

/** The named string formats, recognised by their pattern. */
const FORMATS: readonly [string, z.ZodType][] = [
  ["DNS label", DnsLabel],
  ["domain name", DomainName],
  ["IPv4 address", IPv4],
  ["IPv4 network (CIDR)", CIDR],
  ["absolute path", AbsPath],
  ["URL path prefix", RoutePath],
  ["SQL name", SqlIdent],
  ["one line of text", Title],
  ["e-mail address", Email],
];
let formatByPattern: Map<string, string> | undefined;

function typeOf(n: Node): string {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.enum) return `one of ${n.enum.map(String).join(", ")}`;
  const alts = n.anyOf ?? n.oneOf;
  if (alts && alts.every((a) => a.const !== undefined)) return `one of ${alts.map((a) => String(a.const)).join(", ")}`;
  if (alts) return "mapping (see mode)";
  switch (n.type) {
    case "string": {
      formatByPattern ??= new Map(FORMATS.map(([name, s]) => [json(s).pattern ?? "", name]));
      return (n.pattern !== undefined && formatByPattern.get(n.pattern)) || "string";
    }
    case "integer":
      return "whole number";
    case "number":
      return "number";
    case "boolean":
      return "true or false";
    case "array":
      return `list of ${n.items ? typeOf(n.items) : "anything"}`;
    case "object":
      return typeof n.additionalProperties === "object" ? `mapping of names to ${typeOf(n.additionalProperties)}` : "mapping";
    default:
      return "anything";
  }
}

function boundsOf(n: Node): string[] {
  const out: string[] = [];
  if (n.minimum !== undefined) out.push(`at least ${n.minimum}`);
  if (n.maximum !== undefined) out.push(`at most ${n.maximum}`);
  if (n.minItems !== undefined) out.push(`at least ${n.minItems} item(s)`);
  if (n.maxItems !== undefined) out.push(`at most ${n.maxItems} items`);
  if (n.maxProperties !== undefined) out.push(`at most ${n.maxProperties} entries`);
  if (n.minLength !== undefined) out.push(`at least ${n.minLength} characters`);
  if (n.maxLength !== undefined) out.push(`at most ${n.maxLength} characters`);
  const item = n.items;
  if (item && (item.minimum !== undefined || item.maximum !== undefined)) out.push(...boundsOf(item).map((b) => `each ${b}`));
  return out;
}

/** The children of a node: its properties, a record's <name>, a list's [] (items that are mappings). */
function children(n: Node): [string, Node, boolean][] {
  const out: [string, Node, boolean][] = [];
  for (const [k, v] of Object.entries(n.properties ?? {})) out.push([`.${k}`, v, (n.required ?? []).includes(k)]);
  if (typeof n.additionalProperties === "object") out.push([".<name>", n.additionalProperties, false]);
  if (n.type === "array" && n.items?.type === "object") out.push(["[]", n.items, false]);
  return out;
}

/** A discriminated union's branches merged: each key once, with the modes that have it. */
function merged(alts: readonly Node[]): [string, Node, boolean, string | undefined][] {
  const byKey = new Map<string, { node: Node; modes: string[]; required: boolean }>();
  const modes = alts.map((a) => String(a.properties?.["mode"]?.const ?? ""));
  alts.forEach((a, i) => {
    for (const [k, node, required] of children(a)) {
      const seen = byKey.get(k);
      if (seen) seen.modes.push(modes[i]!);
      else byKey.set(k, { node, modes: [modes[i]!], required });
    }
  });
  return [...byKey].map(([k, v]) => [k, v.node, v.required, v.modes.length === alts.length ? undefined : v.modes.join(", ")]);
}

function shownDefault(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "object" && v !== null && !Array.isArray(v) && "mode" in v) return `mode ${String((v as { mode: unknown }).mode)} with the defaults below`;
  return typeof v === "string" ? v : JSON.stringify(v);
}

function keyNames(n: Node): string[] {
  const alts = n.anyOf ?? n.oneOf;
  const list = alts && !alts.every((a) => a.const !== undefined) ? merged(alts).map((m) => m[0]) : children(n).map((c) => c[0]);
  return list.map((k) => k.replace(/^\./, ""));
}

function walk(n: Node, path: string, required: boolean, only: string | undefined, out: KeyDoc[]): void {
  if (path !== "") {
    const description = n.description ?? (n.type === "array" ? n.items?.description : undefined);
    out.push({
      path,
      type: typeOf(n),
      required,
      bounds: boundsOf(n),
      keys: keyNames(n),
      ...(n.default !== undefined ? { default: shownDefault(n.default)! } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(only !== undefined ? { only } : {}),
    });
  }
  const alts = n.anyOf ?? n.oneOf;
  if (alts && !alts.every((a) => a.const !== undefined)) {
    for (const [k, child, req, modes] of merged(alts)) walk(child, `${path}${k}`, req, modes, out);
    return;
  }
  for (const [k, child, req] of children(n)) walk(child, path === "" ? k.slice(1) : `${path}${k}`, req, undefined, out);
}

let cache: { root: Node; keys: KeyDoc[] } | undefined;

/** Every key of the language, in the schema's order. */
export function topologyKeys(): readonly KeyDoc[] {
  if (!cache) {
    const root = json(Topology);
    const keys: KeyDoc[] = [];
    walk(root, "", true, undefined, keys);
    cache = { root, keys };
  }
  return cache.keys;
}

/**
 * The canonical path of what a user typed: a name where the schema has
 * <name> (hosts.lb1.address), an index or nothing for [] (routes[0].path,
 * routes.path); or, where it stops fitting, the word and the keys known there.
 */
export function canonicalPath(typed: string): { path: string } | { unknown: string; at: string; known: readonly string[] } {
  const keys = topologyKeys();
  const here = (p: string): KeyDoc | undefined => keys.find((k) => k.path === p);
  const segs = typed.replace(/\[\d*\]/g, ".[]").split(".").filter((s) => s !== "");
  let path = "";
  for (const seg of segs) {
    const join = (s: string): string => (path === "" ? s : s === "[]" ? `${path}[]` : `${path}.${s}`);
    if (seg === "[]") {
      // routes[0] and routes.path both mean an item of the list.
      if (here(join("[]"))) path = join("[]");
      continue;
    }
    if (here(join(seg))) path = join(seg);
    else if (here(`${path}[].${seg}`)) path = `${path}[].${seg}`;
    // Any other word where the schema has <name> is a name the user chose.
    else if (here(join("<name>"))) path = join("<name>");
    else {
      const known = path === "" ? keys.filter((k) => !k.path.includes(".") && !k.path.includes("[")).map((k) => k.path) : (here(path)?.keys ?? []);
      return { unknown: seg, at: path, known };
    }
  }
  return { path };
}
