// Checks of a parsed compose file that `docker-compose config` does not make:
// it accepts an undefined secret or network, and says nothing about a
// dependency on a service without a healthcheck, a fixed address inside the
// dynamic range, or a depends_on cycle. Pure: the tests parse the file and
// call checkCompose; an empty list means no problem.
import { ipToInt as strictIpToInt } from "./net.js";

function ipToInt(s: string): number {
  try {
    return strictIpToInt(s);
  } catch {
    return Number.NaN;
  }
}

export interface CheckOptions {
  /**
   * Paths of the files in the compose folder, relative to it ("hosts/lb1/...").
   * When given, bind sources, secret files and build contexts must be among them.
   */
  readonly files?: ReadonlySet<string>;
}

type Map_ = Readonly<Record<string, unknown>>;

function isMap(x: unknown): x is Map_ {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function mapOf(x: unknown): Map_ {
  return isMap(x) ? x : {};
}

/** `[a, b]` or `{a: {...}, b: {...}}`: the names either way. */
function names(x: unknown): string[] {
  if (Array.isArray(x)) return x.filter((v): v is string => typeof v === "string");
  return isMap(x) ? Object.keys(x) : [];
}

function relative(p: string): string {
  return p.replace(/^\.\//, "").replace(/\/+$/, "");
}

interface Range {
  readonly first: number;
  readonly last: number;
}

function cidr(s: unknown): Range | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
  if (!m) return undefined;
  const size = 2 ** (32 - Number(m[2]));
  const first = Math.floor(ipToInt(m[1] as string) / size) * size;
  return { first, last: first + size - 1 };
}

function inRange(a: number, r: Range | undefined): boolean {
  return r !== undefined && a >= r.first && a <= r.last;
}

interface NetInfo {
  readonly subnet?: Range;
  readonly ipRange?: Range;
  readonly gateway?: number;
}

function networkInfo(net: unknown): NetInfo {
  const config = mapOf(mapOf(net)["ipam"])["config"];
  const first = Array.isArray(config) ? mapOf(config[0]) : {};
  const gw = first["gateway"];
  return {
    subnet: cidr(first["subnet"]),
    ipRange: cidr(first["ip_range"]),
    ...(typeof gw === "string" ? { gateway: ipToInt(gw) } : {}),
  };
}

function checkTopLevel(doc: Map_, problems: string[]): void {
  if ("name" in doc) problems.push("top-level `name:` is rejected by docker-compose 1.29; use COMPOSE_PROJECT_NAME in .env");
  for (const [n, c] of Object.entries(mapOf(doc["configs"]))) {
    if ("content" in mapOf(c)) problems.push(`configs.${n}.content is rejected by docker-compose 1.29`);
  }
  for (const [n, s] of Object.entries(mapOf(doc["secrets"]))) {
    if (typeof mapOf(s)["file"] !== "string") problems.push(`secrets.${n} has no file`);
  }
}

function volumeSources(v: unknown): { kind: "bind" | "volume" | "other"; source: string } | undefined {
  if (typeof v === "string") {
    const source = v.split(":")[0] ?? "";
    if (!v.includes(":")) return { kind: "other", source };
    return { kind: /^[./~]/.test(source) ? "bind" : "volume", source };
  }
  const m = mapOf(v);
  const source = m["source"];
  if (typeof source !== "string") return undefined;
  if (m["type"] === "bind") return { kind: "bind", source };
  if (m["type"] === "volume") return { kind: "volume", source };
  return { kind: "other", source };
}

interface Ctx {
  readonly services: Map_;
  readonly networks: Map_;
  readonly volumes: Map_;
  readonly secrets: Map_;
  readonly files?: ReadonlySet<string>;
  readonly problems: string[];
}

function checkService(ctx: Ctx, name: string, svc: Map_, addresses: Map<number, string>): void {
  const p = (m: string): void => {
    ctx.problems.push(`services.${name}: ${m}`);
  };
  const networks = names(svc["networks"]);
  for (const n of networks) if (!(n in ctx.networks) && n !== "default") p(`network '${n}' is not defined`);
  for (const [n, cfg] of isMap(svc["networks"]) ? Object.entries(svc["networks"]) : []) {
    const addr = mapOf(cfg)["ipv4_address"];
    if (typeof addr !== "string") continue;
    const a = ipToInt(addr);
    if (Number.isNaN(a)) {
      p(`ipv4_address ${addr} is not an IPv4 address`);
      continue;
    }
    const info = networkInfo(ctx.networks[n]);
    if (info.subnet && !inRange(a, info.subnet)) p(`ipv4_address ${addr} is outside the subnet of '${n}'`);
    if (inRange(a, info.ipRange)) p(`ipv4_address ${addr} is inside the ip_range of '${n}', where Docker hands out addresses`);
    if (info.gateway === a) p(`ipv4_address ${addr} is the gateway of '${n}'`);
    const other = addresses.get(a);
    if (other !== undefined) p(`ipv4_address ${addr} is also ${other}'s`);
    else addresses.set(a, name);
  }
  for (const s of Array.isArray(svc["secrets"]) ? svc["secrets"] : []) {
    const src = typeof s === "string" ? s : mapOf(s)["source"];
    if (typeof src !== "string" || !(src in ctx.secrets)) p(`secret '${String(src)}' is not defined`);
  }
  for (const v of Array.isArray(svc["volumes"]) ? svc["volumes"] : []) {
    const src = volumeSources(v);
    if (!src) p("a volume without a source");
    else if (src.kind === "volume" && !(src.source in ctx.volumes)) p(`volume '${src.source}' is not defined`);
    else if (src.kind === "bind" && ctx.files && !ctx.files.has(relative(src.source))) p(`bind source ${src.source} is not in the output`);
  }
  const build = svc["build"];
  const context = typeof build === "string" ? build : mapOf(build)["context"];
  if (typeof context === "string" && ctx.files && !ctx.files.has(`${relative(context)}/Dockerfile`)) p(`build context ${context} has no Dockerfile`);
  if (build !== undefined && typeof svc["image"] !== "string") p("builds an image without naming it (`image:`)");
  const hc = mapOf(svc["healthcheck"]);
  if (!isMap(svc["healthcheck"]) || hc["disable"] === true) p("has no healthcheck");
  if ("start_interval" in hc) p("healthcheck.start_interval is rejected by docker-compose 1.29");
  checkDependsOn(ctx, name, svc, p);
}

const CONDITIONS = new Set(["service_started", "service_healthy", "service_completed_successfully"]);

function checkDependsOn(ctx: Ctx, name: string, svc: Map_, p: (m: string) => void): void {
  const dependsOn = svc["depends_on"];
  const profiled = names(svc["profiles"]).length > 0;
  for (const d of names(dependsOn)) {
    const target = ctx.services[d];
    if (d === name) p("depends on itself");
    if (!isMap(target)) {
      p(`depends on '${d}', which is not a service`);
      continue;
    }
    if (!profiled && names(target["profiles"]).length > 0) p(`depends on '${d}', which only starts with a profile`);
    const condition = isMap(dependsOn) ? mapOf(dependsOn[d])["condition"] : "service_started";
    if (typeof condition !== "string" || !CONDITIONS.has(condition)) p(`depends on '${d}' with an unknown condition`);
    else if (condition === "service_healthy" && !isMap(target["healthcheck"])) p(`waits for '${d}' to be healthy, but it has no healthcheck`);
  }
}

function findCycle(services: Map_): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "visiting") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "visiting");
    path.push(n);
    for (const d of names(mapOf(services[n])["depends_on"])) {
      if (!(d in services)) continue;
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of Object.keys(services)) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

function checkUnused(ctx: Ctx): void {
  const used = { secrets: new Set<string>(), volumes: new Set<string>() };
  for (const svc of Object.values(ctx.services)) {
    const m = mapOf(svc);
    for (const s of Array.isArray(m["secrets"]) ? m["secrets"] : []) {
      const src = typeof s === "string" ? s : mapOf(s)["source"];
      if (typeof src === "string") used.secrets.add(src);
    }
    for (const v of Array.isArray(m["volumes"]) ? m["volumes"] : []) {
      const src = volumeSources(v);
      if (src?.kind === "volume") used.volumes.add(src.source);
    }
  }
  for (const s of Object.keys(ctx.secrets)) if (!used.secrets.has(s)) ctx.problems.push(`secrets.${s} is used by no service`);
  for (const v of Object.keys(ctx.volumes)) if (!used.volumes.has(v)) ctx.problems.push(`volumes.${v} is used by no service`);
  for (const [s, def] of Object.entries(ctx.secrets)) {
    const file = mapOf(def)["file"];
    if (typeof file === "string" && ctx.files && !ctx.files.has(relative(file))) ctx.problems.push(`secrets.${s}: ${file} is not in the output`);
  }
}

/** Every problem found, in a stable order; [] when the file is sound. */
export function checkCompose(doc: unknown, opts: CheckOptions = {}): string[] {
  const problems: string[] = [];
  if (!isMap(doc)) return ["the file is not a mapping"];
  checkTopLevel(doc, problems);
  const services = mapOf(doc["services"]);
  if (Object.keys(services).length === 0) problems.push("no services");
  const ctx: Ctx = {
    services,
    networks: mapOf(doc["networks"]),
    volumes: mapOf(doc["volumes"]),
    secrets: mapOf(doc["secrets"]),
    problems,
    ...(opts.files ? { files: opts.files } : {}),
  };
  const addresses = new Map<number, string>();
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc)) problems.push(`services.${name} is not a mapping`);
    else checkService(ctx, name, svc, addresses);
  }
  checkUnused(ctx);
  const cycle = findCycle(services);
  if (cycle) problems.push(`depends_on cycle: ${cycle.join(" -> ")}`);
  return problems;
}
