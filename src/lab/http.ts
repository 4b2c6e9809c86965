// HTTP from the lab's client namespace to the VIP, and what the records say:
// a response counts only when it is the real thing (status 200 from a member
// of the expected pool, the installed site's page for WordPress).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Graph, Pool } from "../graph/model.js";
import type { HttpJob, HttpRecord, HttpRequestSpec } from "./client-main.js";
import { LabError, run } from "./exec.js";
import { adminClientAddress, type LabLayout } from "./layout.js";

export type { HttpRecord } from "./client-main.js";

/**
 * The client runs as its own Node process inside the client namespace, from
 * the modules tsc wrote. This module runs either from dist/src/lab or inside
 * the bundle in dist/bundle, at different depths, so the script is found from
 * the package root rather than beside this file.
 */
function clientScript(): string {
  let dir = new URL(".", import.meta.url);
  for (let i = 0; i < 8 && !existsSync(new URL("package.json", dir)); i++) dir = new URL("..", dir);
  return fileURLToPath(new URL("dist/src/lab/client-main.js", dir));
}

export interface LoadSpec {
  readonly requests: readonly HttpRequestSpec[];
  readonly count: number;
  readonly rate: number;
  readonly timeoutMs: number;
  readonly needles?: readonly string[];
}

/**
 * Runs a job in the client namespace; resolves with one record per request.
 * Requests come from the client's admin-network address when it has one:
 * only the admin network sees which host answered (X-Served-By).
 */
export async function clientHttp(layout: Pick<LabLayout, "client">, graph: Graph, spec: LoadSpec): Promise<HttpRecord[]> {
  const admin = adminClientAddress(graph);
  const job: HttpJob = {
    address: graph.loadBalancer.vip,
    ...(admin !== undefined ? { localAddress: admin } : {}),
    port: graph.ports.http,
    host: graph.site.domain,
    requests: spec.requests,
    count: spec.count,
    rate: spec.rate,
    timeoutMs: spec.timeoutMs,
    needles: spec.needles ?? [],
  };
  // Generous slack: on 2 cores with 11 machines booting at once, the client's
  // own start took long enough that a 15 s slack killed it mid-run.
  const budget = (spec.count / spec.rate) * 1000 + spec.timeoutMs + 60_000;
  const r = await run("nsenter", [`--net=/run/netns/${layout.client}`, "--", process.execPath, clientScript()], {
    input: JSON.stringify(job),
    timeoutMs: budget,
  });
  if (r.code !== 0) throw new LabError(`the lab's HTTP client failed${r.timedOut ? ` (killed after its ${Math.round(budget / 1000)} s budget)` : ` (exit ${r.code})`}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
  return JSON.parse(r.stdout) as HttpRecord[];
}

/** The path a route's pool is reached at: `/` or `/prefix/`. */
export function routeUrl(path: string): string {
  return path === "/" ? "/" : `${path}/`;
}

/** The pool's member host names. */
export function membersOf(pool: Pool): string[] {
  return pool.members.map((m) => m.host);
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** What an installed WordPress site's page holds and an installer or error page does not. */
export function wordpressNeedles(graph: Graph): string[] {
  return [`<title>${htmlEscape(graph.site.title)}`, "wp-content/themes/"];
}

/** A real answer: 200 from a member of the pool, and every needle found. */
export function isReal(r: HttpRecord, members: readonly string[]): boolean {
  return r.status === 200 && members.includes(r.servedBy) && r.has.every((h) => h);
}

/**
 * A request counts as failed when it errs, or when no answer came after
 * this long (people give up; a browser would wait longer). Slower answers
 * that did come are counted apart, as slow.
 */
export const REQUEST_TIMEOUT_MS = 10_000;
/** An answer slower than this is counted as slow. */
export const SLOW_MS = 1000;

export interface LoadFigures {
  readonly sent: number;
  readonly failed: number;
  /** Good answers that took longer than SLOW_MS. */
  readonly slow: number;
  /** Seconds between the first and the last failed request's start; 0 when none failed. */
  readonly failureWindowS: number;
  readonly maxLatencyMs: number;
  readonly p50LatencyMs: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function loadFigures(records: readonly HttpRecord[], ok: (r: HttpRecord) => boolean): LoadFigures {
  const failed = records.filter((r) => !ok(r));
  const lat = records.map((r) => r.end - r.start);
  const starts = failed.map((r) => r.start);
  return {
    sent: records.length,
    failed: failed.length,
    slow: records.filter((r) => ok(r) && r.end - r.start > SLOW_MS).length,
    failureWindowS: starts.length === 0 ? 0 : round((Math.max(...starts) - Math.min(...starts)) / 1000),
    maxLatencyMs: round(Math.max(0, ...lat), 0),
    p50LatencyMs: round(percentile(lat, 50), 1),
  };
}

/**
 * The longest time, in seconds, without a good answer between the first and
 * the last good one: with requests every 10 ms, how long the service did not
 * answer across a fault (answers that came late still end the gap).
 */
export function longestGap(records: readonly HttpRecord[], ok: (r: HttpRecord) => boolean): number {
  const ends = records.filter(ok).map((r) => r.end).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < ends.length; i++) gap = Math.max(gap, ends[i]! - ends[i - 1]!);
  return round(gap / 1000, 3);
}

/** A short description of why requests failed: "12 ECONNREFUSED, 3 status 502". */
export function failureKinds(records: readonly HttpRecord[], ok: (r: HttpRecord) => boolean): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (ok(r)) continue;
    const from = r.servedBy === "" ? "" : ` from ${r.servedBy}`;
    const k = r.error !== "" ? r.error : r.status !== 200 ? `status ${r.status}${from}` : r.servedBy === "" ? "no X-Served-By" : `${from.trim()} but not the site's page`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(", ");
}
