// One load balancer and no failover: its own address is the entrance, so the
// whole site is down whenever that host or its nginx is.
import type { GraphRule } from "../types.js";

export const singleLoadBalancer: GraphRule = {
  kind: "graph",
  code: "single-load-balancer",
  layer: "load-balancing",
  summary: "one load balancer without failover for the entrance",
  check: (g) => {
    const lb = g.loadBalancer;
    if (lb.failover && lb.hosts.length > 1) return [];
    const h = lb.hosts[0] ?? "";
    return [
      {
        code: "single-load-balancer",
        severity: "error",
        layer: "load-balancing",
        message: `'${h}' is the only load balancer and the entrance is its own address ${lb.vip}, so the whole site is down whenever ${h} (or its nginx) is down`,
        fix: "add a second host to loadbalancer.hosts, give loadbalancer a vip, and set loadbalancer.failover to { mode: vrrp } (or digitalocean on a cloud without multicast)",
        path: ["loadbalancer", "hosts"],
        hosts: [h],
      },
    ];
  },
};
