// Golden trees: every example and every case under test/cases is built with
// the fake secrets and compared with its expected/ tree, file list first.
// UPDATE_GOLDENS=1 npm test rewrites them; review the diff like code.
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildFile, caseDirs, diffTree, ROOT, UPDATE, writeTree } from "./helpers.js";

const suites: { name: string; input: string; expected: string }[] = [
  ...caseDirs(join(ROOT, "examples")).map((c) => ({
    name: `example ${c}`,
    input: join(ROOT, "examples", c, "topology.yaml"),
    expected: join(ROOT, "test/examples", c, "expected"),
  })),
  ...caseDirs(join(ROOT, "test/cases")).map((c) => ({
    name: `case ${c}`,
    input: join(ROOT, "test/cases", c, "topology.yaml"),
    expected: join(ROOT, "test/cases", c, "expected"),
  })),
];

for (const s of suites) {
  test(`golden: ${s.name}`, () => {
    const { files } = buildFile(s.input);
    if (UPDATE) writeTree(s.expected, files);
    const problems = diffTree(s.expected, files);
    assert.equal(problems, [], problems.join("\n"));
  });
  test(`deterministic: ${s.name} builds byte-identical twice`, () => {
    const a = buildFile(s.input).files;
    const b = buildFile(s.input).files;
    assert.equal(a.map((f) => [f.path, f.content, f.mode]), b.map((f) => [f.path, f.content, f.mode]));
  });
}

test("golden suites exist", () => {
  assert.ok(suites.length >= 6, `only ${suites.length} golden suites found`);
});

test.run();
