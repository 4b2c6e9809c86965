// The apt relay: the machines have no route out, so their apt reaches the
// Debian mirror through tinyproxy on 127.0.0.1 in the root namespace, which
// allows only the mirror's own hosts, carried into the switch namespace over
// a unix socket by two socats. The mirror's hosts are read at run time from
// the machine's apt sources, so no mirror name lives in this repository.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { sleep } from "../exec.js";
import { startDetached, stopProc, type ProcRecord } from "./procs.js";
import { RELAY_PORT } from "./layout.js";

export const DEBIAN_SOURCES = "/etc/apt/sources.list.d/debian.sources";

export interface MirrorUri {
  readonly uri: string;
  readonly suites: readonly string[];
}

/** The URIs and suites of a deb822 sources file (only `Types: deb` stanzas). */
export function parseSources(text: string): MirrorUri[] {
  const out: MirrorUri[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (k: string): string[] => {
      const m = new RegExp(`^${k}:[ \\t]*(.*)$`, "mi").exec(stanza);
      return m ? m[1]!.trim().split(/\s+/).filter((x) => x !== "") : [];
    };
    if (!field("Types").includes("deb")) continue;
    for (const uri of field("URIs")) out.push({ uri: uri.replace(/\/+$/, ""), suites: field("Suites") });
  }
  return out;
}

/** Host names of the URIs: what tinyproxy lets through. */
export function mirrorHosts(uris: readonly MirrorUri[]): string[] {
  return [...new Set(uris.map((u) => new URL(u.uri).hostname))].sort();
}

export function readMirrors(path = DEBIAN_SOURCES): MirrorUri[] {
  if (!existsSync(path)) throw new Error(`${path} is missing: the apt relay reads the Debian mirror from it`);
  const uris = parseSources(readFileSync(path, "utf8"));
  if (uris.length === 0) throw new Error(`${path} names no deb URI`);
  return uris;
}

/** tinyproxy's filter: one anchored extended regex per allowed host. */
export function filterText(hosts: readonly string[]): string {
  return hosts.map((h) => `^${h.replace(/\./g, "\\.")}$`).join("\n") + "\n";
}

export function tinyproxyConf(port: number, dir: string): string {
  return [
    "User nobody",
    "Group nogroup",
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Allow 127.0.0.1",
    "Timeout 120",
    "MaxClients 100",
    "LogLevel Notice",
    "DisableViaHeader Yes",
    `Filter "${join(dir, "filter")}"`,
    "FilterType ere",
    "FilterDefaultDeny Yes",
    "",
  ].join("\n");
}

function listening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

export interface Relay {
  /** tinyproxy's port on 127.0.0.1 (the root namespace): debootstrap uses it directly. */
  readonly port: number;
  readonly procs: readonly ProcRecord[];
}

/** tinyproxy on a free port of 127.0.0.1; `record` is called with each process as it starts. */
export async function startProxy(dir: string, hosts: readonly string[], record: (p: ProcRecord) => void): Promise<Relay> {
  writeFileSync(join(dir, "filter"), filterText(hosts));
  const procs: ProcRecord[] = [];
  // Ports from the PID, then upward: deterministic per run, and a busy port is skipped.
  for (let i = 0; i < 10; i++) {
    const port = 20000 + ((process.pid * 7 + i * 131) % 30000);
    if (await listening(port)) continue;
    writeFileSync(join(dir, "tinyproxy.conf"), tinyproxyConf(port, dir));
    const p = await startDetached("tinyproxy", "tinyproxy", ["-d", "-c", join(dir, "tinyproxy.conf")], join(dir, "tinyproxy.log"));
    record(p);
    procs.push(p);
    for (let t = 0; t < 50 && !(await listening(port)); t++) await sleep(100);
    if (await listening(port)) return { port, procs };
    await stopProc(p, 1000);
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1 (10 ports tried; see ${join(dir, "tinyproxy.log")})`);
}

/** Carries the proxy into the switch namespace: `<bridge address>:3128` there reaches tinyproxy here. */
export async function startRelay(dir: string, relay: Relay, socket: string, sw: string, bridgeAddress: string, record: (p: ProcRecord) => void): Promise<void> {
  const out = await startDetached("relay-out", "socat", [`UNIX-LISTEN:${socket},fork,mode=600`, `TCP:127.0.0.1:${relay.port}`], join(dir, "relay.log"));
  record(out);
  for (let t = 0; t < 50 && !existsSync(socket); t++) await sleep(100);
  if (!existsSync(socket)) throw new Error(`socat did not create ${socket}`);
  const inner = await startDetached(
    "relay-in",
    "nsenter",
    [`--net=/run/netns/${sw}`, "--", "socat", `TCP-LISTEN:${RELAY_PORT},bind=${bridgeAddress},reuseaddr,fork`, `UNIX-CONNECT:${socket}`],
    join(dir, "relay.log"),
  );
  record(inner);
}
