// npm run bench is a script, not a timed test; this only keeps it working as
// the language and the CLI change: the smallest run must print every section
// and build its synthetic topology without an error. No figure is checked.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers.js";

test("bench: a one-run, ten-host pass prints every section without a failure", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/bench.mjs")], {
    cwd: ROOT,
    env: { ...process.env, BENCH_RUNS: "1", BENCH_SIZES: "10", BENCH_SCALE_RUNS: "1" },
    encoding: "utf8",
  });
  assert.is(r.status, 0, r.stderr);
  for (const section of ["machine", "start-up:", "hacompile build", "hacompile validate", "scaling:", "in memory:", "reproduce:"])
    assert.ok(r.stdout.includes(section), `no '${section}' in:\n${r.stdout}`);
  assert.not.match(r.stdout, /failed/);
  assert.match(r.stdout, /^ +10 +21 /m, "the 10-web-host row");
});

test.run();
