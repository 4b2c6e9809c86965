// The graph: derived values that every renderer relies on.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../src/compile.js";
import type { Graph } from "../src/graph/model.js";
import { rolesOf } from "../src/graph/model.js";

const base = (lbs: string[], failover = "{ mode: vrrp }"): string => `
name: t
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  lb2: { address: 10.1.0.12 }
  lb3: { address: 10.1.0.13 }
  w1: { address: 10.1.0.21 }
  w2: { address: 10.1.0.22 }
  b1: { address: 10.1.0.23 }
  d1: { address: 10.1.0.31 }
  d2: { address: 10.1.0.32 }
  d3: { address: 10.1.0.33 }
loadbalancer:
  hosts: [${lbs.join(", ")}]
  vip: 10.1.0.100
  failover: ${failover}
  routes:
    - { path: /, pool: web }
    - { path: /blog, pool: blog }
    - { path: /blog/archive, pool: web }
pools:
  web: { hosts: [w1, w2], app: static }
  blog: { hosts: [b1], app: wordpress, database: wp }
databases:
  wp: { primary: d2, replicas: [d1, d3], name: wordpress }
`;

function graphOf(text: string): Graph {
  const r = compile(text, "t.yaml");
  if (!r.graph) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.graph;
}

test("priorities are distinct and follow the order; a failed check means FAULT", () => {
  for (const lbs of [["lb1", "lb2"], ["lb3", "lb1", "lb2"]]) {
    const g = graphOf(base(lbs));
    const prios = lbs.map((n) => rolesOf(g.hosts.find((h) => h.name === n)!, "load-balancer")[0]!.priority);
    assert.equal([...prios].sort((a, b) => b - a), prios, "first host has the highest priority");
    assert.is(new Set(prios).size, prios.length);
    // A failed check puts the master into FAULT: the VIP moves whatever the priorities.
    assert.is(g.loadBalancer.failover!.vrrp.trackWeight, 0);
  }
});

test("nopreempt uses weight 0 and no preempt delay", () => {
  const vrrp = graphOf(base(["lb1", "lb2"], "{ mode: vrrp, preempt: false }")).loadBalancer.failover!.vrrp;
  assert.is(vrrp.trackWeight, 0);
  assert.is(vrrp.preemptDelay, 0);
});

test("router id is derived from the name, stable, in range", () => {
  const a = graphOf(base(["lb1", "lb2"])).loadBalancer.failover!.vrrp.routerId;
  const b = graphOf(base(["lb2", "lb1"])).loadBalancer.failover!.vrrp.routerId;
  assert.is(a, b);
  assert.ok(a >= 1 && a <= 255);
  assert.is(graphOf(base(["lb1", "lb2"], "{ mode: vrrp, router_id: 42 }")).loadBalancer.failover!.vrrp.routerId, 42);
});

test("server ids are unique and come from the host's place in the subnet", () => {
  const g = graphOf(base(["lb1", "lb2"]));
  const db = g.databases[0]!;
  assert.equal([db.primary.serverId, ...db.replicas.map((r) => r.serverId)], [32, 31, 33]);
});

test("routes: longest prefix first, '/' last, default pool known", () => {
  const g = graphOf(base(["lb1", "lb2"]));
  assert.equal(g.loadBalancer.routes.map((r) => r.path), ["/blog/archive", "/blog", "/"]);
  assert.is(g.loadBalancer.defaultPool, "web");
  assert.equal(g.pools.find((p) => p.name === "web")!.paths, ["/blog/archive", "/"]);
});

test("links: app to primary read-write, to replicas read-only, replicas to primary, LB pairs both ways", () => {
  const g = graphOf(base(["lb1", "lb2", "lb3"]));
  const has = (kind: string, from: string, to: string): boolean => g.links.some((l) => l.kind === kind && l.from === from && l.to === to);
  assert.ok(has("mysql-rw", "b1", "d2"));
  assert.ok(has("mysql-ro", "b1", "d1") && has("mysql-ro", "b1", "d3"));
  assert.ok(has("mysql-replication", "d1", "d2") && has("mysql-replication", "d3", "d2"));
  assert.not.ok(has("mysql-rw", "w1", "d2"), "the static pool does not use the database");
  for (const a of ["lb1", "lb2", "lb3"]) for (const b of ["lb1", "lb2", "lb3"]) if (a !== b) assert.ok(has("vrrp", a, b));
  assert.ok(has("upstream", "lb3", "w2"));
  assert.equal(g.databases[0]!.clientAddresses, ["10.1.0.23"]);
});

test.run();
