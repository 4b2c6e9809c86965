// Which scenarios a topology gets, in the order they run: routing first (it
// proves the lab is whole), the failures after, the firewall last.
import type { Graph } from "../../graph/model.js";
import type { HostScenario } from "../host.js";
import type { Scenario, Skipped } from "../scenario.js";
import { databaseScenarios } from "./database.js";
import { firewall } from "./firewall.js";
import { glusterScenarios } from "./gluster.js";
import { namespaceHostLab } from "../ns-hosts.js";
import { lbCrash, lbNginxDown } from "./lb.js";
import { lbLinkDownAny } from "./lb-link.js";
import { routing } from "./routing.js";
import { webHostScenarios } from "./web.js";

/** A host-interface scenario on the namespace lab. */
const onNamespaces = (s: HostScenario): Scenario => ({ name: s.name, title: s.title, run: (lab) => s.run(namespaceHostLab(lab)) });

export function scenariosFor(graph: Graph): { scenarios: Scenario[]; skipped: Skipped[] } {
  const scenarios: Scenario[] = [routing];
  const skipped: Skipped[] = [];
  const lbs = graph.loadBalancer.hosts.length;
  if (graph.loadBalancer.failover?.mode === "vrrp" && lbs >= 2) {
    // lb-link-down runs through the host interface: the same code as on booted machines.
    scenarios.push(...[lbLinkDownAny, lbCrash, lbNginxDown].map(onNamespaces));
  }
  else skipped.push({ name: "lb-*", reason: "one load balancer or no VRRP failover: nothing to fail over to" });
  const web = webHostScenarios(graph);
  if (web.length === 0) skipped.push({ name: "web-host", reason: "no pool has two members" });
  scenarios.push(...web.map(onNamespaces));
  const dbs = databaseScenarios(graph);
  if (dbs.length === 0) skipped.push({ name: "database", reason: "no database with a replica" });
  scenarios.push(...dbs);
  const vols = glusterScenarios(graph);
  if (vols.length === 0) skipped.push({ name: "gluster", reason: "no replicated volume with two clients" });
  scenarios.push(...vols);
  scenarios.push(firewall);
  return { scenarios, skipped };
}
