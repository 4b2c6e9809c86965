// nginx -t on each host's whole config tree, in the host's sandbox: listen
// addresses (the host's and the VIP) and include paths resolve as in production.
// A load balancer's certificate and key come from runChecks' TLS stage (see
// ../tls.ts), laid under the host's files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { firstLines, hasTool } from "../run.js";
import { inSandbox } from "../sandbox.js";
import { hostLabel, type Check, type CheckResult } from "../types.js";

export const nginxCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    if (!h.files.some((f) => f.kind === "nginx")) continue;
    const file = hostLabel(h, "/etc/nginx/nginx.conf");
    if (!(await hasTool("nginx"))) {
      out.push({ tool: "nginx", file, status: "skipped", message: "nginx not installed" });
      continue;
    }
    // Only a config that names the certificate loads it; the note goes with those results only.
    const stage = ctx.tls !== undefined && h.files.some((f) => f.kind === "nginx" && readFileSync(join(h.root, f.path), "utf8").includes(ctx.tls!.certificate)) ? ctx.tlsStage : undefined;
    const r = await inSandbox(ctx, h, "nginx -t -q -c /etc/nginx/nginx.conf", stage?.lower);
    out.push({
      tool: "nginx",
      file,
      status: r.code === 0 ? "ok" : "fail",
      message: r.code === 0 ? "" : firstLines(r.stderr),
      ...(stage !== undefined ? { note: stage.note } : {}),
    });
  }
  return out;
};
