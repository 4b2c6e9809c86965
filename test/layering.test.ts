// The layering, checked by dependency-cruiser (pinned to 17.4.3, the last
// release that runs on Node 20) with the rules in .dependency-cruiser.json:
// render never imports targets or commands, targets never import commands,
// the lab never imports commands, and no import circle anywhere (type-only
// imports included). A rule broken anywhere in the sources fails this test
// and names the import.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers.js";

const CONFIG = ".dependency-cruiser.json";
const REQUIRED_RULES: readonly string[] = [
  "no-circular",
  "render-not-to-targets",
  "render-not-to-commands",
  "targets-not-to-commands",
  "lab-not-to-commands",
];

/** Plain text in the failure message: NO_COLOR only, since FORCE_COLOR (set by scripts/test.mjs) overrides it. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env["FORCE_COLOR"];
  return env;
}

test("layering: the rules this test promises are in the config, as errors", () => {
  const config = JSON.parse(readFileSync(join(ROOT, CONFIG), "utf8")) as { forbidden: { name: string; severity: string }[] };
  for (const name of REQUIRED_RULES) {
    const rule = config.forbidden.find((r) => r.name === name);
    assert.ok(rule, `${CONFIG} has no rule ${name}`);
    assert.is(rule.severity, "error", `${CONFIG}: ${name} must be an error`);
  }
});

test("layering: no source file breaks a rule (dependency-cruiser)", () => {
  // The sources, not dist/: type-only imports count, and the paths are the ones people edit.
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"), "--config", CONFIG, "--output-type", "err", "src", "targets", "scripts", "schema", "test"],
    { cwd: ROOT, encoding: "utf8", env: plainEnv() },
  );
  assert.is(r.status, 0, `dependency-cruiser found broken layering:\n${r.stdout}${r.stderr}`);
});

test.run();
