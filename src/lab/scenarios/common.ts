// What the scenarios share: a service's spec, the load through the VIP on
// the default pool's health endpoint (cheap, and it names the answering
// host), and the VIP's settling after a fault.
import type { Graph, Vrrp } from "../../graph/model.js";
import type { ServiceSpec } from "../../render/types.js";
import { LabError } from "../exec.js";
import { clientHttp, isReal, membersOf, REQUEST_TIMEOUT_MS, type HttpRecord } from "../http.js";
import type { Lab } from "../up.js";

/** The web tier's health endpoint: answered by every web host itself, through the default route. */
export const HEALTH_PATH = "/hacompile-health";

export function specOf(lab: Lab, host: string, service: string): ServiceSpec {
  const s = lab.plans.find((p) => p.host.name === host)?.services.find((x) => x.name === service);
  if (!s) throw new LabError(`${host} runs no ${service}`);
  return s;
}

/** What the helpers below read: either lab (namespaces or machines) has it. */
type Site = { readonly graph: Graph; readonly layout: { readonly client: string } };

export function vrrpOf(lab: Pick<Site, "graph">): Vrrp | undefined {
  const f = lab.graph.loadBalancer.failover;
  return f?.mode === "vrrp" ? f.vrrp : undefined;
}

export function defaultMembers(lab: Pick<Site, "graph">): string[] {
  const p = lab.graph.pools.find((x) => x.name === lab.graph.loadBalancer.defaultPool);
  return p ? membersOf(p) : [];
}

/** A real answer from the default pool. */
export function healthOk(lab: Pick<Site, "graph">): (r: HttpRecord) => boolean {
  const members = defaultMembers(lab);
  return (r) => isReal(r, members);
}

/** `rate` requests per second for `seconds` to the health endpoint through the VIP. */
export function healthLoad(lab: Site, rate: number, seconds: number): Promise<HttpRecord[]> {
  return clientHttp(lab.layout, lab.graph, { requests: [{ path: HEALTH_PATH }], count: Math.round(rate * seconds), rate, timeoutMs: REQUEST_TIMEOUT_MS });
}
