// The systemd + cloud-init target: per host a #cloud-config user-data that
// installs the packages, the users and every rendered file (units and
// drop-ins included) and starts hacompile.target. Secrets stay out of it
// unless asked for (see secrets.ts). The bundle target packages the same
// files for hosts without cloud-init.
import { warning, type Diagnostic } from "../../src/diagnostics.js";
import type { Graph } from "../../src/graph/model.js";
import type { HostPlan } from "../../src/render/types.js";
import type { OutFile, Target } from "../types.js";
import { gzipDeterministic, USER_DATA_LIMIT } from "./gzip.js";
import { secretOutFiles } from "./secrets.js";
import { userData, type SystemdOptions } from "./user-data.js";

export type { SystemdOptions } from "./user-data.js";
export { checkUserData, ALLOWED_TOP_LEVEL_KEYS } from "./check.js";

function readme(opts: SystemdOptions): string {
  return [
    "hacompile systemd target: one folder per host.",
    "",
    "  <host>/user-data         #cloud-config: give it to the VM as its user-data. It installs",
    "                           the packages, users and files, then starts hacompile.target.",
    "  <host>/user-data.gz.b64  only when user-data is above 16 KiB (a common cloud limit):",
    "                           base64 -d user-data.gz.b64 > user-data.gz; cloud-init reads gzip.",
    ...(opts.inlineSecrets
      ? [
          "",
          "Built with --inline-secrets: user-data carries the secrets. Each host loads",
          "/etc/hacompile/metadata-block.nft at boot so that only root reaches the cloud",
          "metadata service (169.254.169.254, fd00:ec2::254). It cannot cover a config drive.",
        ]
      : ["  <host>/SECRETS.txt       how the secret files (<host>/secrets/...) reach the host."]),
    "",
    "Boot sequence (cloud-init's own module order): root-owned files, users, packages (a",
    "first-boot policy-rc.d keeps them from starting daemons), files owned by package users",
    "(defer: true), then runcmd: daemon-reload, enable, start hacompile.target. The target",
    "Wants= every service; the order is in the units (After=, drop-ins for Debian's units).",
    "",
    "On the host: cloud-init status --wait, then hacompile-health: one line per service, bootstrap",
    "and mount of the host, exit 0 when all pass, 1 when one fails (hacompile.target stays active",
    "while a service it started has failed, so its status is no health check).",
    "",
  ].join("\n");
}

function hostFiles(graph: Graph, plan: HostPlan, opts: SystemdOptions): OutFile[] {
  const h = plan.host.name;
  const text = userData(graph, plan, opts);
  // With inline secrets the user-data holds them: owner-only on the build machine, like every secret file.
  const mode = opts.inlineSecrets && plan.files.some((f) => f.secret) ? 0o600 : 0o644;
  const out: OutFile[] = [{ path: `${h}/user-data`, content: text, mode }];
  // OutFile holds text only for now, so the gzip form is shipped base64-encoded.
  if (Buffer.byteLength(text, "utf8") > USER_DATA_LIMIT) {
    out.push({ path: `${h}/user-data.gz.b64`, content: gzipDeterministic(text).toString("base64") + "\n", mode });
  }
  if (!opts.inlineSecrets) out.push(...secretOutFiles(graph, plan));
  return out;
}

/**
 * User-data too big for some clouds, as one warning. Read from the files
 * just emitted (paths inside the target, "<host>/user-data.gz.b64"), so that
 * a build renders each user-data once. Above the limit as text is no problem
 * where the gzip form fits: cloud-init reads gzip itself, and SECRETS.txt and
 * the README say to use it. Warn only where even the gzip form passes the
 * limit, in one line for all such hosts.
 */
export function userDataWarnings(files: readonly OutFile[]): Diagnostic[] {
  const over: string[] = [];
  let largest = 0;
  for (const f of files) {
    const host = /^([^/]+)\/user-data\.gz\.b64$/.exec(f.path)?.[1];
    if (host === undefined) continue;
    const size = Buffer.from(f.content.trim(), "base64").length;
    if (size > USER_DATA_LIMIT) {
      over.push(host);
      largest = Math.max(largest, size);
    }
  }
  if (over.length === 0) return [];
  over.sort();
  const hosts = over.length <= 3 ? over.join(", ") : `${over.slice(0, 3).join(", ")} and ${over.length - 3} more`;
  return [
    warning(
      "user-data-size",
      [],
      `user-data of ${over.length} host(s) (${hosts}) is above the 16 KiB some clouds accept even gzip-compressed (largest ${(largest / 1024).toFixed(1)} KiB): deliver their secrets and files with the bundle target instead`,
    ),
  ];
}

export const systemd: Target = {
  name: "systemd",
  description: "cloud-init user-data per host: packages, users, files, systemd units under hacompile.target",
  emit: (graph, plans, options) => {
    const opts: SystemdOptions = { inlineSecrets: options.inlineSecrets };
    const files = [{ path: "README.txt", content: readme(opts), mode: 0o644 }, ...plans.flatMap((p) => hostFiles(graph, p, opts))];
    return { files, diagnostics: userDataWarnings(files) };
  },
};
