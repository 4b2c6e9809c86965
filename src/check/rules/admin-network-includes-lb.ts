// The admin network is the range the firewall trusts (SSH on every host) and
// the range admin-only answers are limited to. A load balancer inside it
// forwards every internet client's request from an admin address, so each
// admin-only rule on the pools also answers the internet; the VIP inside it
// puts the public entrance itself in the trusted range. Error: the boundary
// between the internet and the admins no longer exists.
import { contains, parseCidr } from "../../graph/ipv4.js";
import { listing } from "../failure.js";
import type { GraphRule } from "../types.js";

export const adminNetworkIncludesLb: GraphRule = {
  kind: "graph",
  code: "admin-network-includes-lb",
  layer: "load-balancing",
  summary: "the admin network contains a load balancer or the VIP",
  check: (g) => {
    const admin = parseCidr(g.network.admin);
    const inside = g.loadBalancer.hosts
      .filter((name) => g.hosts.some((h) => h.name === name && contains(admin, h.address)))
      .map((name) => `load balancer '${name}'`);
    if (contains(admin, g.loadBalancer.vip)) inside.push(`the VIP ${g.loadBalancer.vip}`);
    if (inside.length === 0) return [];
    return [
      {
        code: "admin-network-includes-lb",
        severity: "error" as const,
        layer: "load-balancing" as const,
        message: `the admin network ${g.network.admin} contains ${listing(inside)}, so requests from the internet reach the hosts from an admin address and pass every admin-only rule`,
        fix: "make network.admin a range that holds the admins' machines only, without the load balancers and the VIP",
        path: ["network", "admin"],
        hosts: g.loadBalancer.hosts.filter((name) => inside.includes(`load balancer '${name}'`)),
      },
    ];
  },
};
