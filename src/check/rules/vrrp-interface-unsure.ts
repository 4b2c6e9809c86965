// VRRP must run on the interface that carries the hosts' addresses (the
// unicast source and peers). On a DigitalOcean droplet that is eth1 (the VPC)
// and eth0 carries the public address: VRRP on eth0 there meant the peers
// never heard each other, both became MASTER and both re-assert timers fought
// over the reserved IP. `check` cannot see the droplets, so it warns whenever
// the interface is a guess: left to the default, or eth0 in that mode.
import type { GraphRule } from "../types.js";

const DO_PUBLIC_INTERFACE = "eth0";

export const vrrpInterfaceUnsure: GraphRule = {
  kind: "graph",
  code: "vrrp-interface-unsure",
  layer: "election",
  summary: "VRRP may run on an interface that does not carry the hosts' addresses (DigitalOcean: the VPC is on eth1)",
  check: (g) => {
    const f = g.loadBalancer.failover;
    if (f?.mode !== "digitalocean") return [];
    const iface = g.network.interface;
    const fix = "set network.interface to the interface that holds each load balancer's address (ip -br addr on the droplet; eth1 on DigitalOcean's standard images)";
    if (iface === DO_PUBLIC_INTERFACE) {
      return [
        {
          code: "vrrp-interface-unsure",
          severity: "warning",
          layer: "election",
          message: `VRRP runs on ${iface}, which on a droplet carries the public address, not the VPC addresses the topology gives the load balancers: the peers would never hear each other, both would be MASTER and fight over the reserved IP ${g.loadBalancer.vip}`,
          fix,
          path: ["network", "interface"],
          hosts: g.loadBalancer.hosts,
        },
      ];
    }
    if (g.network.interfaceStated) return [];
    return [
      {
        code: "vrrp-interface-unsure",
        severity: "warning",
        layer: "election",
        message: `network.interface is not set, so VRRP runs on ${iface} (DigitalOcean's VPC interface on its standard images); hacompile cannot see the droplets to confirm it holds the load balancers' addresses`,
        fix,
        path: ["network"],
        hosts: g.loadBalancer.hosts,
      },
    ];
  },
};
