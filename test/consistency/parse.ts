// Small parsers for the files hacompile renders, written for the layouts it
// emits. The consistency tests read the rendered text back through these
// instead of trusting the graph the renderers started from. Every parser
// fails loudly when it finds nothing it expects: a layout change must break
// the test, never make it pass vacuously.

export class ParseError extends Error {}

/** The value, or a ParseError naming what was missing and where. */
export function must<T>(value: T | undefined | null, what: string, where: string): T {
  if (value === undefined || value === null) throw new ParseError(`${where}: no ${what}`);
  return value;
}

function nonEmpty<T>(items: T[], what: string, where: string): T[] {
  if (items.length === 0) throw new ParseError(`${where}: no ${what}`);
  return items;
}

// ---------------------------------------------------------------- nginx ----

/** One nginx directive; `block` is set for `name args { ... }`. */
export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly NginxDirective[];
}

/** Tokens of nginx's syntax: words, quoted strings, and the three punctuation marks. */
function nginxTokens(text: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === ";" || c === "{" || c === "}") {
      out.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\" && j + 1 < text.length) j++;
        s += text[j];
        j++;
      }
      if (j >= text.length) throw new ParseError(`${where}: unterminated string`);
      out.push(s);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j]!)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

export function parseNginx(text: string, where: string): NginxDirective[] {
  const tokens = nginxTokens(text, where);
  let pos = 0;
  const block = (nested: boolean): NginxDirective[] => {
    const out: NginxDirective[] = [];
    let words: string[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t === ";") {
        const [name, ...args] = words;
        out.push({ name: must(name, "directive name before ';'", where), args });
        words = [];
      } else if (t === "{") {
        const [name, ...args] = words;
        out.push({ name: must(name, "block name before '{'", where), args, block: block(true) });
        words = [];
      } else if (t === "}") {
        if (!nested || words.length > 0) throw new ParseError(`${where}: unbalanced '}'`);
        return out;
      } else {
        words.push(t);
      }
    }
    if (nested || words.length > 0) throw new ParseError(`${where}: unexpected end of file`);
    return out;
  };
  return nonEmpty(block(false), "nginx directives", where);
}

export function directives(block: readonly NginxDirective[], name: string): NginxDirective[] {
  return block.filter((d) => d.name === name);
}

export interface HostPort {
  readonly address: string;
  readonly port: number;
}

export function hostPort(s: string, where: string): HostPort {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(s);
  if (!m) throw new ParseError(`${where}: '${s}' is not address:port`);
  return { address: m[1]!, port: Number(m[2]) };
}

/** `upstream pool_<name> { server a:p ...; }` -> pool name -> members, in file order. */
export function nginxUpstreams(conf: readonly NginxDirective[], where: string): Map<string, HostPort[]> {
  const out = new Map<string, HostPort[]>();
  for (const u of directives(conf, "upstream")) {
    const name = must(u.args[0], "upstream name", where);
    const servers = directives(must(u.block, `block of upstream ${name}`, where), "server");
    out.set(name, nonEmpty(servers.map((s) => hostPort(must(s.args[0], "server address", where), where)), `servers in upstream ${name}`, where));
  }
  if (out.size === 0) throw new ParseError(`${where}: no upstream blocks`);
  return out;
}

export interface NginxLocation {
  /** "" (plain prefix), "=", "^~", "~", "~*". */
  readonly modifier: string;
  readonly path: string;
  readonly body: readonly NginxDirective[];
}

export function nginxLocations(server: readonly NginxDirective[], where: string): NginxLocation[] {
  return nonEmpty(
    directives(server, "location").map((l) => {
      const body = must(l.block, "location block", where);
      if (l.args.length === 1) return { modifier: "", path: l.args[0]!, body };
      if (l.args.length === 2) return { modifier: l.args[0]!, path: l.args[1]!, body };
      throw new ParseError(`${where}: location with ${l.args.length} arguments`);
    }),
    "locations",
    where,
  );
}

/** The server blocks of a file, with their `listen` arguments. */
export function nginxServers(conf: readonly NginxDirective[], where: string): { listen: string[]; body: readonly NginxDirective[] }[] {
  return nonEmpty(
    directives(conf, "server").map((s) => {
      const body = must(s.block, "server block", where);
      return { listen: nonEmpty(directives(body, "listen").map((l) => must(l.args[0], "listen address", where)), "listen", where), body };
    }),
    "server blocks",
    where,
  );
}

/**
 * nginx's choice of location for a URI (ngx_http_core_find_location, without
 * regular expressions, which the simulated configs must not have): an exact
 * `=` match wins; otherwise the longest matching prefix, whether plain or ^~.
 */
export function matchLocation(locations: readonly NginxLocation[], uri: string, where: string): NginxLocation | undefined {
  const regex = locations.find((l) => l.modifier === "~" || l.modifier === "~*");
  if (regex) throw new ParseError(`${where}: regex location '${regex.path}' is outside what matchLocation simulates`);
  const exact = locations.find((l) => l.modifier === "=" && l.path === uri);
  if (exact) return exact;
  let best: NginxLocation | undefined;
  for (const l of locations) {
    if (l.modifier === "=") continue;
    if (uri.startsWith(l.path) && (!best || l.path.length > best.path.length)) best = l;
  }
  return best;
}

// ----------------------------------------------------------- keepalived ----

export interface KeepalivedBlock {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly KeepalivedBlock[];
}

/** keepalived.conf: one statement per line, `{` at the end of a line opens a block. */
export function parseKeepalived(text: string, where: string): KeepalivedBlock[] {
  const root: KeepalivedBlock[] = [];
  const stack: { name: string; args: string[]; items: KeepalivedBlock[] }[] = [];
  let current = root;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#!].*$/, "").trim();
    if (line === "") continue;
    if (line === "}") {
      const top = stack.pop();
      if (!top) throw new ParseError(`${where}: unbalanced '}'`);
      const parent = stack.length > 0 ? stack[stack.length - 1]!.items : root;
      parent.push({ name: top.name, args: top.args, block: top.items });
      current = parent;
      continue;
    }
    const words = line.split(/\s+/);
    if (words[words.length - 1] === "{") {
      const [name, ...args] = words.slice(0, -1);
      const frame = { name: must(name, "block name", where), args, items: [] as KeepalivedBlock[] };
      stack.push(frame);
      current = frame.items;
      continue;
    }
    const [name, ...args] = words;
    current.push({ name: must(name, "statement", where), args });
  }
  if (stack.length > 0) throw new ParseError(`${where}: unclosed block ${stack[stack.length - 1]!.name}`);
  return nonEmpty(root, "keepalived statements", where);
}

export interface VrrpInstance {
  readonly name: string;
  readonly state: string;
  readonly interface: string;
  readonly routerId: number;
  readonly priority: number;
  readonly srcIp: string | undefined;
  readonly peers: readonly string[];
  /** `address/prefix dev iface`, as written. */
  readonly vips: readonly string[];
  readonly hasAuthentication: boolean;
}

function kaValue(items: readonly KeepalivedBlock[], name: string): string | undefined {
  return items.find((i) => i.name === name && !i.block)?.args.join(" ");
}

function kaList(items: readonly KeepalivedBlock[], name: string): string[] | undefined {
  const b = items.find((i) => i.name === name && i.block);
  return b?.block?.map((i) => [i.name, ...i.args].join(" "));
}

/** The one vrrp_instance of a keepalived.conf. */
export function vrrpInstance(text: string, where: string): VrrpInstance {
  const conf = parseKeepalived(text, where);
  const instances = conf.filter((b) => b.name === "vrrp_instance");
  if (instances.length !== 1) throw new ParseError(`${where}: ${instances.length} vrrp_instance blocks, expected 1`);
  const inst = instances[0]!;
  const items = must(inst.block, "vrrp_instance block", where);
  return {
    name: must(inst.args[0], "instance name", where),
    state: must(kaValue(items, "state"), "state", where),
    interface: must(kaValue(items, "interface"), "interface", where),
    routerId: Number(must(kaValue(items, "virtual_router_id"), "virtual_router_id", where)),
    priority: Number(must(kaValue(items, "priority"), "priority", where)),
    srcIp: kaValue(items, "unicast_src_ip"),
    peers: kaList(items, "unicast_peer") ?? [],
    vips: must(kaList(items, "virtual_ipaddress"), "virtual_ipaddress", where),
    hasAuthentication: items.some((i) => i.name === "authentication"),
  };
}

// ------------------------------------------------------------------ PHP ----

/** `define('NAME', 'value');` (string values) and `define('NAME', true);`. */
export function phpDefines(text: string, where: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^define\('([A-Z_]+)', (?:'([^'\\]*)'|(true|false))\);$/gm)) out.set(m[1]!, m[2] ?? m[3]!);
  if (out.size === 0) throw new ParseError(`${where}: no define() lines`);
  return out;
}

/** `$name = array('a', 'b');` -> the strings. */
export function phpStringArray(text: string, variable: string, where: string): string[] {
  const m = new RegExp(`^\\$${variable} = array\\(([^)]*)\\);$`, "m").exec(text);
  const body = must(m?.[1], `$${variable} = array(...)`, where);
  return [...body.matchAll(/'([^'\\]*)'/g)].map((x) => x[1]!);
}

export interface HyperdbServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly name: string;
  readonly write: number;
  readonly read: number;
  readonly dataset: string;
}

/** Every `$wpdb->add_database(array(...));` of a HyperDB db-config.php, in file order. */
export function hyperdbServers(text: string, where: string): HyperdbServer[] {
  const out: HyperdbServer[] = [];
  for (const m of text.matchAll(/\$wpdb->add_database\(array\(([\s\S]*?)\)\);/g)) {
    const kv = new Map<string, string>();
    for (const e of m[1]!.matchAll(/'(\w+)' => (?:'([^'\\]*)'|([\d.]+)),/g)) kv.set(e[1]!, e[2] ?? e[3]!);
    const hp = hostPort(must(kv.get("host"), "'host'", where), where);
    out.push({
      host: hp.address,
      port: hp.port,
      user: must(kv.get("user"), "'user'", where),
      password: must(kv.get("password"), "'password'", where),
      name: must(kv.get("name"), "'name'", where),
      write: Number(must(kv.get("write"), "'write'", where)),
      read: Number(must(kv.get("read"), "'read'", where)),
      dataset: must(kv.get("dataset"), "'dataset'", where),
    });
  }
  return nonEmpty(out, "add_database calls", where);
}

// ---------------------------------------------------------- ini, units ----

/** `[section]` and `key = value` (or `Key=value`); repeated keys keep every value. */
export function parseIni(text: string, where: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = out.get(s[1]!) ?? new Map<string, string[]>();
      out.set(s[1]!, section);
      continue;
    }
    const kv = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !section) throw new ParseError(`${where}: cannot read '${line}'`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  }
  if (out.size === 0) throw new ParseError(`${where}: no [sections]`);
  return out;
}

export function iniValue(ini: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined {
  const v = ini.get(section)?.get(key);
  return v?.[v.length - 1];
}

/** systemd's path escaping for unit names (systemd-escape --path). */
export function systemdEscapePath(path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "-";
  return trimmed
    .split("/")
    .map((part, p) =>
      [...part]
        // A '.' is escaped only as the name's first character (systemd-escape --path /srv/.x gives srv-.x).
        .map((ch, i) => (/[A-Za-z0-9:_]/.test(ch) || (ch === "." && (i > 0 || p > 0)) ? ch : `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`))
        .join(""),
    )
    .join("-");
}

// ------------------------------------------------------------------ SQL ----

export interface SqlAccount {
  readonly user: string;
  readonly host: string;
  /** The literal after IDENTIFIED BY: a MariaDB hash when `hashed`. */
  readonly secret: string;
  readonly hashed: boolean;
  readonly requireSsl: boolean;
  /** Whether the CREATE USER ran with sql_log_bin = 0. */
  readonly local: boolean;
}

export interface SqlGrant {
  readonly privileges: string;
  readonly on: string;
  readonly user: string;
  readonly host: string;
}

export interface PrimarySql {
  readonly databases: readonly string[];
  readonly accounts: readonly SqlAccount[];
  readonly grants: readonly SqlGrant[];
  /** `User = 'u' AND Host NOT IN (...)`: the hosts kept when stale accounts are dropped. */
  readonly kept: ReadonlyMap<string, readonly string[]>;
}

export function primarySql(text: string, where: string): PrimarySql {
  const databases: string[] = [];
  const accounts: SqlAccount[] = [];
  const grants: SqlGrant[] = [];
  const kept = new Map<string, string[]>();
  let local = false;
  for (const line of text.split("\n")) {
    const logBin = /^SET SESSION sql_log_bin = ([01]);$/.exec(line);
    if (logBin) local = logBin[1] === "0";
    const db = /^CREATE DATABASE IF NOT EXISTS `(\w+)`/.exec(line);
    if (db) databases.push(db[1]!);
    const user = /^CREATE USER IF NOT EXISTS '(\w+)'@'([\d.]+)' IDENTIFIED BY (PASSWORD )?'([^']+)'( REQUIRE SSL)?;$/.exec(line);
    if (user) {
      accounts.push({ user: user[1]!, host: user[2]!, hashed: user[3] !== undefined, secret: user[4]!, requireSsl: user[5] !== undefined, local });
    }
    const grant = /^GRANT (.+) ON (\S+) TO '(\w+)'@'([\d.]+)';$/.exec(line);
    if (grant) grants.push({ privileges: grant[1]!, on: grant[2]!, user: grant[3]!, host: grant[4]! });
    const notIn = /WHERE User = '(\w+)' AND Host NOT IN \(([^)]*)\)\);$/.exec(line);
    if (notIn) kept.set(notIn[1]!, [...notIn[2]!.matchAll(/'([\d.]+)'/g)].map((x) => x[1]!));
  }
  nonEmpty(databases, "CREATE DATABASE", where);
  nonEmpty(accounts, "CREATE USER", where);
  nonEmpty(grants, "GRANT", where);
  return { databases, accounts, grants, kept };
}

export interface ReplicaSql {
  readonly statement: "CHANGE MASTER TO" | "CHANGE REPLICATION SOURCE TO";
  /** Option names as written (MASTER_HOST or SOURCE_HOST ...) -> value, quotes removed. */
  readonly options: ReadonlyMap<string, string>;
  /** Statements after the CHANGE ... TO, e.g. START SLAVE. */
  readonly after: readonly string[];
}

export function replicaSql(text: string, where: string): ReplicaSql {
  const m = /^(CHANGE MASTER TO|CHANGE REPLICATION SOURCE TO)\n([\s\S]*?);\n([\s\S]*)$/m.exec(text);
  if (!m) throw new ParseError(`${where}: no CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO statement`);
  const options = new Map<string, string>();
  for (const o of m[2]!.matchAll(/^\s+(\w+) = (?:'([^']*)'|(\w+)),?$/gm)) options.set(o[1]!, o[2] ?? o[3]!);
  if (options.size === 0) throw new ParseError(`${where}: no options in ${m[1]}`);
  const after = m[3]!
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("--"));
  return { statement: m[1] as ReplicaSql["statement"], options, after };
}

// ------------------------------------------------------------- Gluster ----

export interface GlusterBootstrap {
  readonly peers: readonly string[];
  readonly volumes: readonly { name: string; replica: number; arbiter: number; owner: string; layout: string; bricks: readonly string[] }[];
}

export function glusterBootstrap(text: string, where: string): GlusterBootstrap {
  const peers = must(/^readonly PEERS=\(([^)]*)\)$/m.exec(text)?.[1], "readonly PEERS=(...)", where)
    .split(/\s+/)
    .filter((p) => p !== "");
  const volumes = [...text.matchAll(/^ensure_volume (\S+) (\d+) ([01]) (\S+) '([^']*)' (.+) \|\| status=1$/gm)].map((m) => ({
    name: m[1]!,
    replica: Number(m[2]),
    arbiter: Number(m[3]),
    owner: m[4] === "''" ? "" : m[4]!,
    layout: m[5]!,
    bricks: m[6]!.split(" "),
  }));
  return { peers, volumes: nonEmpty(volumes, "ensure_volume calls", where) };
}

/** `option key value` lines of a glusterd.vol. */
export function glusterdOptions(text: string, where: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s*option (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  if (out.size === 0) throw new ParseError(`${where}: no option lines`);
  return out;
}

// ------------------------------------------------------------ nftables ----

export interface NftRule {
  /** Source addresses or CIDRs; undefined means any source. */
  readonly sources: readonly string[] | undefined;
  /** "tcp/80", or "ip/112" for an IP protocol. */
  readonly services: readonly string[];
  /** The one destination address the rule is limited to (ip daddr), if any. */
  readonly destination?: string;
}

export interface NftInput {
  readonly policy: string;
  readonly sets: ReadonlyMap<string, readonly string[]>;
  readonly rules: readonly NftRule[];
}

function expandPorts(spec: string, where: string): string[] {
  const items = spec.startsWith("{") ? spec.slice(1, -1).split(",") : [spec];
  const out: string[] = [];
  for (const item of items.map((s) => s.trim())) {
    const r = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!r) throw new ParseError(`${where}: port '${item}'`);
    const first = Number(r[1]);
    const last = r[2] ? Number(r[2]) : first;
    if (last - first > 1000) throw new ParseError(`${where}: port range ${item} too wide to expand`);
    for (let p = first; p <= last; p++) out.push(`tcp/${p}`);
  }
  return out;
}

/** Rules every host has whatever its links: they accept no topology traffic. */
const BASE_RULE = /^(iif "lo" accept|ct state established,related accept|ct state invalid drop|ip protocol icmp accept|icmpv6 type \{[^}]*\} accept)\b/;

/** The `table inet hacompile`: its named sets and the accept rules of chain input. */
export function nftInput(text: string, where: string): NftInput {
  const sets = new Map<string, string[]>();
  for (const m of text.matchAll(/^\tset (\w+) \{\n\t\ttype ipv4_addr\n\t\telements = \{\n([\s\S]*?)\n\t\t\}\n\t\}$/gm)) {
    sets.set(m[1]!, [...m[2]!.matchAll(/^\t\t\t([\d.]+) comment "[\w-]+",?$/gm)].map((x) => x[1]!));
  }
  const chain = must(/^\tchain input \{\n([\s\S]*?)\n\t\}$/m.exec(text)?.[1], "chain input", where);
  const policy = must(/type filter hook input priority filter; policy (\w+);/.exec(chain)?.[1], "input policy", where);
  const rules: NftRule[] = [];
  for (const raw of chain.split("\n").slice(1)) {
    const line = raw.trim();
    if (line === "" || BASE_RULE.test(line)) continue;
    // `socket transparent 0`: the load balancers' client rule accepts only while nginx listens (firewall.ts).
    const m = /^(?:ip saddr (\S+) )?(?:ip daddr ([\d.]+) )?(?:tcp dport (\{[^}]*\}|\d+(?:-\d+)?)|ip protocol (\d+)) (?:socket transparent 0 )?accept comment "[^"]*"$/.exec(line);
    if (!m) throw new ParseError(`${where}: unknown input rule '${line}'`);
    let sources: string[] | undefined;
    if (m[1] !== undefined) {
      sources = m[1].startsWith("@") ? [...must(sets.get(m[1].slice(1)), `set ${m[1]}`, where)] : [m[1]];
    }
    rules.push({
      sources,
      services: m[4] !== undefined ? [`ip/${m[4]}`] : expandPorts(m[3]!, where),
      ...(m[2] !== undefined ? { destination: m[2] } : {}),
    });
  }
  return { policy, sets, rules: nonEmpty(rules, "topology rules in chain input", where) };
}

/**
 * "source -> service" pairs the rules accept; a rule without a source match
 * gives "any -> service", one limited to a destination "... service to address".
 */
export function nftAccepted(input: NftInput): Set<string> {
  const out = new Set<string>();
  const to = (r: NftRule): string => (r.destination !== undefined ? ` to ${r.destination}` : "");
  for (const r of input.rules) for (const src of r.sources ?? ["any"]) for (const s of r.services) out.add(`${src} -> ${s}${to(r)}`);
  return out;
}
