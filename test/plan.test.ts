// The host plans every target packages: the contract between renderers and
// targets, checked for every example and case.
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
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
      const names = new Set(p.services.map((s) => s.name));
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

test.run();
