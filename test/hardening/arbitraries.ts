// fast-check generators for the property test: topologies of a few shapes
// that are valid as generated (random names, addresses, engines, failover
// modes, titles), then often broken on purpose: a field set to a hostile
// string or to a value of the wrong type, a key dropped or added, or the
// YAML text itself cut into.
import fc from "fast-check";
import { stringify } from "yaml";

/** Strings that have broken config files before, as whole values or inside them. */
const FRAGMENTS = [
  ";",
  "\n",
  "\r\n",
  "$(reboot)",
  "`id`",
  "${HOME}",
  "'",
  '"',
  "\\",
  "../",
  "{",
  "}",
  "#",
  "%n",
  "*",
  "\u0000",
  "\u001b[2J",
  "\u202e",
  "\u200b",
  "\u00a0",
  "\u0430",
  "\uff0f",
  "\ud800",
  "<?php",
  "</title>",
  "-- ",
  "/*",
  "&a",
  "*a",
  "? ",
  "- ",
  ": ",
  "constructor",
  "__proto__",
  "x".repeat(300),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...FRAGMENTS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.tuple(fc.string({ unit: "grapheme-ascii", maxLength: 12 }), fc.constantFrom(...FRAGMENTS), fc.string({ unit: "grapheme-ascii", maxLength: 12 })).map((p) => p.join("")),
);

/** DNS labels, including the ones that trip up JavaScript objects. */
const label: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?$/) },
  { weight: 1, arbitrary: fc.constantFrom("constructor", "prototype", "valueof", "tostring", "hasownproperty", "0", "9a", "x".repeat(63)) },
);

const sqlName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/).filter((n) => !["root", "mysql"].includes(n));
const domain = fc
  .tuple(fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([ls, tld]) => [...ls, tld].join("."));
const title = fc.oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }), fc.constantFrom("Example", "<?php echo 1; ?>", "It's \"quoted\" & <b>bold</b>", "$(reboot) `id` ; # {}"));
const absPath = fc.array(fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/), { minLength: 1, maxLength: 4 }).map((segs) => "/" + segs.join("/"));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = { [key: string]: Json };

interface Shape {
  readonly doc: Doc;
  /** Paths of the string fields, for the mutations to aim at. */
  readonly strings: readonly (string | number)[][];
  /** Paths of the fields that name a host, pool, database or volume. */
  readonly refs: readonly (string | number)[][];
}

/** Names a reference may wrongly use: Object.prototype's own, and names of nothing. */
const TRICKY_NAMES = ["constructor", "prototype", "valueof", "tostring", "hasownproperty", "isprototypeof", "__proto__", "nothing"];

/**
 * A valid topology: one or two load balancers (failover none, vrrp or
 * digitalocean), a static or http pool, and sometimes a WordPress pool with
 * its database (MariaDB or MySQL, maybe a replica) and maybe a Gluster volume.
 */
const validTopology: fc.Arbitrary<Shape> = fc
  .record({
    names: fc.uniqueArray(label, { minLength: 13, maxLength: 13 }),
    net: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    failover: fc.constantFrom("none", "vrrp", "digitalocean"),
    front: fc.constantFrom("static", "http"),
    wordpress: fc.boolean(),
    engine: fc.constantFrom("mariadb", "mysql"),
    replica: fc.boolean(),
    volume: fc.boolean(),
    tls: fc.boolean(),
    domain,
    title,
    local: fc.stringMatching(/^[a-z0-9._+-]{1,12}$/),
    schema: sqlName,
    user: fc.option(sqlName, { nil: undefined }),
    prefix: fc.stringMatching(/^\/[a-z][a-z0-9_~-]{0,8}$/),
    paths: fc.tuple(absPath, absPath, absPath),
    interface: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
    port: fc.integer({ min: 1024, max: 9000 }),
  })
  .map((r): Shape => {
    const [lb1, lb2, web1, web2, wp1, wp2, db1, db2, fs1, fs2, fs3, pf, pw] = r.names;
    const subnet = `10.${r.net[0]}.${r.net[1]}`;
    const hosts: Doc = {};
    const addr = (i: number): string => `${subnet}.${10 + i}`;
    const lbs = r.failover === "none" ? [lb1!] : [lb1!, lb2!];
    const used = [...lbs, web1!, web2!, ...(r.wordpress ? [wp1!, wp2!, db1!, ...(r.replica ? [db2!] : []), ...(r.volume ? [fs1!, fs2!, fs3!] : [])] : [])];
    used.forEach((h, i) => (hosts[h] = { address: addr(i) }));
    const strings: (string | number)[][] = [["name"], ["site", "domain"], ["site", "title"], ["site", "admin_email"], ["network", "interface"]];
    const failover: Doc =
      r.failover === "digitalocean"
        ? { mode: "digitalocean", token_file: r.paths[0], anchor_ips: { [lb1!]: "10.17.0.5", [lb2!]: "10.17.0.6" } }
        : r.failover === "vrrp" ? { mode: "vrrp", peers: "unicast" } : { mode: "none" };
    if (r.failover === "digitalocean") strings.push(["loadbalancer", "failover", "token_file"]);
    const loadbalancer: Doc = {
      hosts: lbs,
      ...(r.failover === "vrrp" ? { vip: `${subnet}.250` } : r.failover === "digitalocean" ? { vip: "203.0.113.10" } : {}),
      failover,
      // Under /etc/ssl: the verify test provides a throwaway pair there, as an operator would.
      ...(r.tls ? { tls: { certificate: `/etc/ssl${r.paths[1]}.pem`, key: `/etc/ssl${r.paths[2]}.key` } } : {}),
      routes: [{ path: "/", pool: pf! }, ...(r.wordpress ? [{ path: r.prefix, pool: pw! }] : [])],
    };
    if (r.tls) strings.push(["loadbalancer", "tls", "certificate"], ["loadbalancer", "tls", "key"]);
    strings.push(["loadbalancer", "routes", 0, "path"], ["loadbalancer", "routes", 0, "pool"], ["loadbalancer", "hosts", 0]);
    const pools: Doc = { [pf!]: { hosts: [web1!, web2!], app: r.front, ...(r.front === "http" ? { port: r.port } : {}) } };
    strings.push(["pools", pf!, "hosts", 0]);
    const doc: Doc = {
      name: r.names[0]!,
      site: { domain: r.domain, title: r.title, admin_email: `${r.local}@${r.domain}` },
      network: { subnet: `${subnet}.0/24`, interface: r.interface, admin: `${subnet}.0/28` },
      hosts,
      loadbalancer,
      pools,
    };
    if (r.wordpress) {
      pools[pw!] = { hosts: [wp1!, wp2!], app: "wordpress", database: "db", ...(r.volume ? { volume: "media" } : {}) };
      doc["databases"] = {
        db: { engine: r.engine, primary: db1!, ...(r.replica ? { replicas: [db2!] } : {}), name: r.schema, ...(r.user ? { user: r.user } : {}) },
      };
      strings.push(["loadbalancer", "routes", 1, "path"], ["pools", pw!, "database"], ["databases", "db", "name"], ["databases", "db", "primary"]);
      if (r.volume) {
        doc["volumes"] = { media: { type: "glusterfs", replica: 3, arbiter: 1, bricks: [fs1!, fs2!, fs3!], mount: r.paths[1] } };
        strings.push(["volumes", "media", "mount"], ["volumes", "media", "bricks", 2], ["pools", pw!, "volume"]);
      }
    }
    const refs = strings.filter((p) => {
      const last = p[p.length - 1];
      const parent = p[p.length - 2];
      return typeof last === "number" ? parent === "hosts" || parent === "bricks" : ["pool", "database", "volume", "primary"].includes(String(last));
    });
    return { doc, strings, refs };
  });

type Mutation =
  | { readonly kind: "none" }
  | { readonly kind: "hostile"; readonly pick: number; readonly value: string }
  | { readonly kind: "retype"; readonly pick: number; readonly value: Json }
  | { readonly kind: "drop"; readonly pick: number }
  | { readonly kind: "reference"; readonly pick: number; readonly name: string }
  | { readonly kind: "unknown-key"; readonly key: string }
  | { readonly kind: "text"; readonly at: number; readonly cut: number; readonly insert: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("hostile" as const), pick: fc.nat(), value: hostileString }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retype" as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reference" as const), pick: fc.nat(), name: fc.constantFrom(...TRICKY_NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unknown-key" as const), key: hostileString }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("text" as const), at: fc.nat(), cut: fc.nat({ max: 8 }), insert: fc.oneof(hostileString, fc.constantFrom(...FRAGMENTS)) }),
  },
);

function setIn(doc: Doc, path: readonly (string | number)[], f: (parent: Json[] | Doc, key: string | number) => void): void {
  let cur: Json = doc;
  for (const seg of path.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return;
    cur = (cur as Record<string, Json>)[seg as string] ?? null;
  }
  if (cur !== null && typeof cur === "object") f(cur, path[path.length - 1]!);
}

function apply(shape: Shape, m: Mutation): string {
  const doc = structuredClone(shape.doc);
  const at = (pick: number): readonly (string | number)[] => shape.strings[pick % shape.strings.length]!;
  switch (m.kind) {
    case "hostile":
      setIn(doc, at(m.pick), (p, k) => ((p as Record<string, Json>)[k as string] = m.value));
      break;
    case "retype":
      setIn(doc, at(m.pick), (p, k) => ((p as Record<string, Json>)[k as string] = m.value));
      break;
    case "reference":
      setIn(doc, shape.refs[m.pick % shape.refs.length]!, (p, k) => ((p as Record<string, Json>)[k as string] = m.name));
      break;
    case "drop":
      setIn(doc, at(m.pick), (p, k) => {
        if (Array.isArray(p)) p.splice(Number(k), 1);
        else delete p[k as string];
      });
      break;
    case "unknown-key":
      (doc["site"] as Doc)[m.key] = "x";
      break;
    default:
      break;
  }
  const text = stringify(doc);
  if (m.kind !== "text") return text;
  const i = m.at % (text.length + 1);
  return text.slice(0, i) + m.insert + text.slice(i + m.cut);
}

export interface Sample {
  readonly text: string;
  /** The generator's shape, for picking diverse samples to verify. */
  readonly shape: string;
  readonly mutated: boolean;
}

export const topologyText: fc.Arbitrary<Sample> = fc.tuple(validTopology, mutation).map(([s, m]) => {
  const lb = s.doc["loadbalancer"] as Doc;
  const pools = Object.values(s.doc["pools"] as Doc).map((p) => (p as Doc)["app"]);
  const shape = `${String((lb["failover"] as Doc)["mode"])}/${pools.join("+")}${s.doc["volumes"] ? "+volume" : ""}`;
  return { text: apply(s, m), shape, mutated: m.kind !== "none" };
});
