// DigitalOcean failover moves the reserved IP through the provider's API: the
// election is local, but the move depends on a service outside the topology.
import type { GraphRule } from "../types.js";

export const entranceProviderApi: GraphRule = {
  kind: "graph",
  code: "entrance-provider-api",
  layer: "entrance",
  summary: "the entrance moves through a cloud API (DigitalOcean) that the topology does not control",
  check: (g) => {
    const f = g.loadBalancer.failover;
    if (f?.mode !== "digitalocean") return [];
    return [
      {
        code: "entrance-provider-api",
        severity: "info",
        layer: "entrance",
        message: `the reserved IP ${g.loadBalancer.vip} moves only through the DigitalOcean API, so a failover that happens while the API is unreachable (or the token in ${f.tokenFile} is revoked) leaves the entrance on the failed load balancer`,
        fix: "nothing in the topology removes this; keep the token valid and watch the failover logs (mode vrrp needs a network that carries VRRP and gratuitous ARP)",
        path: ["loadbalancer", "failover", "mode"],
      },
    ];
  },
};
