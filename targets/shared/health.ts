// The one command that says whether a host is healthy: every service of its
// roles running, every bootstrap done, every mount present and readable.
// hacompile.target cannot say it: it only Wants= its services, so it stays
// active while one of them has failed. The checks come from the host's plan
// (the services its roles run), so every host gets exactly its own.
import { generatedBy } from "../../src/render/common/header.js";
import type { Graph } from "../../src/graph/model.js";
import { templateRenderer } from "../../src/render/common/ejs.js";
import { sh } from "../../src/render/common/quote.js";
import { file, timerUnitOf, type HostFile, type HostPlan, type ServiceSpec } from "../../src/render/types.js";

/** This target's own templates. */
const renderTemplate = templateRenderer("targets/shared/templates");

export const HEALTH_SCRIPT = "/usr/local/sbin/hacompile-health";
/** Exit statuses, as the script's header documents them. */
export const HEALTH_EXIT = { healthy: 0, unhealthy: 1, error: 2 } as const;

/** The script's line (a call of one of its check functions) for one service. */
function checkLine(s: ServiceSpec): string {
  if (s.schedule !== undefined) return `timer ${sh(timerUnitOf(s))} ${sh(s.unit)}`;
  if (s.unit.endsWith(".mount")) return `mounted ${sh(s.unit)}`;
  return `${s.kind === "daemon" ? "daemon" : "done_once"} ${sh(s.unit)}`;
}

export function healthFile(graph: Graph, plan: HostPlan): HostFile {
  const name = HEALTH_SCRIPT.slice(HEALTH_SCRIPT.lastIndexOf("/") + 1);
  const content = renderTemplate("hacompile-health.sh.ejs", {
    header: generatedBy(graph),
    host: sh(plan.host.name),
    name,
    // Start order: a failed dependency is listed before what it took down.
    checks: plan.services.map(checkLine),
  });
  return file(HEALTH_SCRIPT, content, "shell", "hacompile", { mode: 0o755 });
}
