// Error cases: test/errors/<case>/topology.yaml must give exactly the lines
// in expected.txt (`topology.yaml:line:col: message [code]`), and the JSON
// form must say the same. UPDATE_GOLDENS=1 rewrites expected.txt.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../src/compile.js";
import { diagnosticJson, formatDiagnostic } from "../src/diagnostics.js";
import { caseDirs, ROOT, UPDATE } from "./helpers.js";

const dir = join(ROOT, "test/errors");

for (const c of caseDirs(dir)) {
  test(`error case ${c}`, () => {
    const text = readFileSync(join(dir, c, "topology.yaml"), "utf8");
    const r = compile(text, "topology.yaml");
    const lines = r.diagnostics.map(formatDiagnostic);
    const expectedPath = join(dir, c, "expected.txt");
    if (UPDATE) writeFileSync(expectedPath, lines.join("\n") + "\n");
    const expected = readFileSync(expectedPath, "utf8").trimEnd().split("\n");
    assert.equal(lines, expected);
    assert.is(r.graph, undefined, "an error case must not produce a graph");
    // The folder name is the code the case proves (a "--suffix" names a variant).
    assert.ok(
      r.diagnostics.some((d) => d.code === c.replace(/--.*$/, "")),
      `case ${c} does not produce the code it is named after`,
    );
    const json = r.diagnostics.map(diagnosticJson);
    assert.equal(
      json.map((j) => `${String(j["file"])}:${String(j["line"])}:${String(j["col"])}: ${j["severity"] === "warning" ? "warning: " : ""}${String(j["message"])} [${String(j["code"])}]`),
      lines,
    );
  });
}

test("error cases exist", () => {
  assert.ok(caseDirs(dir).length >= 20);
});

test.run();
