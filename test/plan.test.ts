// The host plans every target packages: the contract between renderers and
// targets, checked for every example and case.
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { orderServices } from "../src/render/plan.js";
import type { ServiceSpec } from "../src/render/types.js";
import { checkHostPlan } from "../targets/shared/check-plan.js";
import { buildFile, caseDirs, ROOT } from "./helpers.js";

const inputs = [
  ...caseDirs(join(ROOT, "examples")).map((c) => join(ROOT, "examples", c, "topology.yaml")),
  ...caseDirs(join(ROOT, "test/cases")).map((c) => join(ROOT, "test/cases", c, "topology.yaml")),
];

for (const input of inputs) {
  const name = input.slice(ROOT.length + 1);
  test(`${name}: every host plan keeps the targets' contract`, () => {
    const { plans } = buildFile(input);
    assert.equal(plans.flatMap(checkHostPlan), []);
  });
  test(`${name}: every file belongs to a service its host runs (so a change restarts the right one)`, () => {
    const { plans } = buildFile(input);
    const orphans = plans.flatMap((p) => {
      const names = new Set<string>(p.services.map((s) => s.name));
      // No exemption: a file no service of ours applies (sysctl.d once was) is applied by nothing on first install.
      return p.files.filter((f) => !names.has(f.service)).map((f) => `${p.host.name}:${f.path} -> ${f.service}`);
    });
    assert.equal(orphans, []);
  });
  test(`${name}: a file holding a secret is readable only by root and its service's group`, () => {
    const { plans } = buildFile(input);
    const leaky = plans.flatMap((p) => p.files.filter((f) => f.secret && (f.mode & 0o007) !== 0).map((f) => `${p.host.name}:${f.path} ${f.mode.toString(8)}`));
    assert.equal(leaky, []);
    assert.ok(plans.flatMap((p) => p.files).filter((f) => f.secret).every((f) => f.owner === "root"));
  });
}

function daemon(name: ServiceSpec["name"], after: ServiceSpec["after"]): ServiceSpec {
  return { name, unit: `${name}.service`, packaged: true, kind: "daemon", command: [name], after };
}

test("orderServices: dependencies first, ties by name", () => {
  const order = orderServices([daemon("keepalived", ["nginx"]), daemon("nginx", ["sysctl"]), daemon("sysctl", [])], "lb1");
  assert.equal(order.map((s) => s.name), ["sysctl", "nginx", "keepalived"]);
});

test("orderServices: a dependency the host does not run stops the build instead of ordering nothing", () => {
  assert.throws(() => orderServices([daemon("keepalived", ["nginx"])], "lb1"), /keepalived on lb1 starts after nginx, which lb1 does not run/);
});

// Compile-time half of the registry (src/render/services.ts): if `after` ever
// accepted any string again, this directive would be unused and tsc, hence
// `npm test`, would fail.
// @ts-expect-error "ngnix" is not a registered service name.
const misspelt: ServiceSpec["after"] = ["ngnix"];
void misspelt;

test.run();
