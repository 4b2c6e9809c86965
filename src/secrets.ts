// Secrets are generated once per topology and kept in a file beside it, so
// that later builds reuse them and output stays stable. Alphabets are chosen
// so that no secret ever needs escaping in SQL, shell, PHP or nginx. This
// module is pure: the CLI supplies the random source and does the file I/O.
import type { Graph } from "./graph/model.js";

export interface DatabaseSecrets {
  readonly root: string;
  readonly app: string;
  readonly replication: string;
}

export const SALT_NAMES = [
  "AUTH_KEY",
  "SECURE_AUTH_KEY",
  "LOGGED_IN_KEY",
  "NONCE_KEY",
  "AUTH_SALT",
  "SECURE_AUTH_SALT",
  "LOGGED_IN_SALT",
  "NONCE_SALT",
] as const;
export type SaltName = (typeof SALT_NAMES)[number];

export interface Secrets {
  /** By database name. */
  readonly databases: Readonly<Record<string, DatabaseSecrets>>;
  /** WordPress keys and salts, the same on every web host. */
  readonly salts: Readonly<Record<SaltName, string>>;
  /** Password of the WordPress admin the install step creates. */
  readonly wordpressAdmin: string;
}

/** Letters and digits only: safe unquoted in every output language. */
export const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const SECRET_RE = /^[A-Za-z0-9]{16,128}$/;

/** Returns `n` secret characters from SECRET_ALPHABET. */
export type RandomSource = (n: number) => string;

export interface SecretsResult {
  readonly secrets: Secrets;
  /** Names of the secrets that were missing and have been generated. */
  readonly generated: readonly string[];
  /** Names of the secrets that were asked to be rotated and got new values. */
  readonly rotated: readonly string[];
}

/** One secret the graph needs: its name (as printed and as selected by --rotate-secrets), length, and old value. */
interface Spec {
  readonly name: string;
  readonly length: number;
  readonly old: (s: Partial<Secrets> | undefined) => string | undefined;
}

/** Own properties only: a database named 'constructor' must not find Object's. */
function own<T>(r: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return r !== undefined && Object.hasOwn(r, key) ? r[key] : undefined;
}

function specs(graph: Graph): Spec[] {
  const out: Spec[] = [];
  for (const d of graph.databases)
    for (const k of ["root", "app", "replication"] as const)
      out.push({ name: `databases.${d.name}.${k}`, length: 32, old: (s) => own(s?.databases, d.name)?.[k] });
  for (const n of SALT_NAMES) out.push({ name: `salts.${n}`, length: 64, old: (s) => own(s?.salts, n) });
  out.push({ name: "wordpressAdmin", length: 24, old: (s) => s?.wordpressAdmin });
  return out;
}

/** The names of every secret the graph needs, in a stable order. */
export function secretNames(graph: Graph): string[] {
  return specs(graph).map((s) => s.name);
}

/**
 * The names a list of selectors picks: a selector is a name or a prefix of
 * whole name parts ("databases.wp" picks its three passwords, "salts" all
 * eight salts). Selectors that pick nothing are returned as unknown.
 */
export function selectSecrets(names: readonly string[], selectors: readonly string[]): { selected: Set<string>; unknown: string[] } {
  const selected = new Set<string>();
  const unknown: string[] = [];
  for (const sel of selectors) {
    const hits = names.filter((n) => n === sel || n.startsWith(`${sel}.`));
    if (hits.length === 0) unknown.push(sel);
    for (const h of hits) selected.add(h);
  }
  return { selected, unknown };
}

/**
 * Keeps every existing secret the graph still needs, generates the missing
 * ones, and gives new values to those `rotate` selects.
 */
export function completeSecrets(
  graph: Graph,
  existing: Partial<Secrets> | undefined,
  random: RandomSource,
  rotate: (name: string) => boolean = () => false,
): SecretsResult {
  const generated: string[] = [];
  const rotated: string[] = [];
  const values = new Map<string, string>();
  for (const s of specs(graph)) {
    const old = s.old(existing);
    if (rotate(s.name)) {
      rotated.push(s.name);
      values.set(s.name, random(s.length));
    } else if (old !== undefined && SECRET_RE.test(old)) {
      values.set(s.name, old);
    } else {
      generated.push(s.name);
      values.set(s.name, random(s.length));
    }
  }
  const get = (name: string): string => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`secrets: no value for ${name}`);
    return v;
  };
  const databases: Record<string, DatabaseSecrets> = {};
  for (const d of graph.databases) {
    const p = `databases.${d.name}`;
    databases[d.name] = { root: get(`${p}.root`), app: get(`${p}.app`), replication: get(`${p}.replication`) };
  }
  const salts = Object.fromEntries(SALT_NAMES.map((n) => [n, get(`salts.${n}`)])) as Record<SaltName, string>;
  return { secrets: { databases, salts, wordpressAdmin: get("wordpressAdmin") }, generated, rotated };
}
