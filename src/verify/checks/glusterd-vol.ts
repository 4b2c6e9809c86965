// glusterd.vol: the gluster CLI cannot parse anything without a running
// glusterd, so the volfile is checked here: the management volume is
// declared once, its options are ones glusterd knows, and the brick port
// range is the one the firewall opens.
import { readFileSync } from "node:fs";
import { eachFile, verdict } from "../each-file.js";
import type { Check } from "../types.js";

// Options of Debian's glusterd.vol (GlusterFS 10) plus the port pinning ones.
const KNOWN = new Set([
  "working-directory",
  "transport-type",
  "transport.socket.keepalive-time",
  "transport.socket.keepalive-interval",
  "transport.socket.read-fail-log",
  "transport.socket.listen-port",
  "transport.rdma.listen-port",
  "transport.address-family",
  "ping-timeout",
  "event-threads",
  "base-port",
  "max-port",
  "lock-timer",
  "rpc-auth-allow-insecure",
  "transport.listen-backlog",
  "cluster.op-version",
]);

export function checkGlusterdVol(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n").map((l) => l.trim());
  const volumes = lines.filter((l) => /^volume\s+\S+$/.test(l));
  if (volumes.length !== 1 || volumes[0] !== "volume management") problems.push("expected exactly one 'volume management'");
  if (lines.filter((l) => l === "end-volume").length !== volumes.length) problems.push("'volume' and 'end-volume' do not pair up");
  if (!lines.some((l) => /^type\s+mgmt\/glusterd$/.test(l))) problems.push("missing 'type mgmt/glusterd'");
  let base: number | undefined;
  let max: number | undefined;
  lines.forEach((l, i) => {
    const m = /^option\s+(\S+)\s+(\S+)$/.exec(l);
    if (l.startsWith("option") && !m) problems.push(`line ${i + 1}: malformed option`);
    if (!m) return;
    if (!KNOWN.has(m[1]!)) problems.push(`line ${i + 1}: unknown option ${m[1]}`);
    if (m[1] === "base-port") base = Number(m[2]);
    if (m[1] === "max-port") max = Number(m[2]);
  });
  if (base === undefined || max === undefined) problems.push("brick ports are not pinned (base-port and max-port)");
  else if (!(base >= 1024 && base <= max && max <= 65535)) problems.push(`bad brick port range ${base}-${max}`);
  return problems;
}

export const glusterdVolCheck: Check = (ctx) =>
  eachFile(ctx, "glusterd-vol", "glusterd-vol", undefined, (abs) => verdict(checkGlusterdVol(readFileSync(abs, "utf8"))));
