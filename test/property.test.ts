// Property: whatever topology text comes in, hacompile answers with clean
// diagnostics (each one line of printable ASCII, with a code and a position
// inside the file) or with output; it never throws. Generated topologies
// (test/hardening/arbitraries.ts) are valid as drawn and often broken on
// purpose. Every accepted one is emitted for every target and checked for
// invariants; a few, of different shapes, go through the real tools of
// `hacompile verify` (as root; skipped otherwise, but never under CI).
// A fixed seed and a fixed number of runs make a failure reproducible.
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../src/compile.js";
import { formatDiagnostic, hasErrors } from "../src/diagnostics.js";
import { emit } from "../src/emit.js";
import { writeTreeAtomic } from "../src/io/write-tree.js";
import { loadContext, runChecks } from "../src/verify/index.js";
import { targets } from "../targets/index.js";
import { DEFAULT_TARGET_OPTIONS } from "../targets/types.js";
import type { OutFile } from "../targets/types.js";
import { topologyText } from "./hardening/arbitraries.js";
import { knownSecrets, secretValues } from "./hardening/support.js";

const SEED = 20_240_601;
const RUNS = 200;
/** A guard: the runs normally take a few seconds; past this fast-check stops early (and says so). */
const TIME_LIMIT_MS = 45_000;
/** Accepted samples of distinct shapes that go through the real tools. */
const VERIFY_SAMPLES = 3;
const CI = process.env["CI"] === "true";
const ROOT_USER = process.getuid?.() === 0;

const DIAGNOSTIC = /^topology\.yaml:(\d+):(\d+): [\x20-\x7e]+ \[[a-z0-9]+(-[a-z0-9]+)*\]$/;
const NORMAL_RELATIVE = /^(?!\/)(?!.*\/\/)(?!.*(^|\/)\.\.?(\/|$)).+[^/]$/;
const NORMAL_ABSOLUTE = /^(\/[^/]+)+$/;

function checkDiagnostics(text: string, lines: readonly string[]): void {
  const rows = text.split("\n");
  const r = compile(text, "topology.yaml");
  for (const d of r.diagnostics) {
    const line = formatDiagnostic(d);
    const m = DIAGNOSTIC.exec(line);
    assert.ok(m, `not a clean diagnostic: ${JSON.stringify(line)}`);
    const row = Number(m[1]);
    const col = Number(m[2]);
    assert.ok(row >= 1 && row <= rows.length + 1, `line ${row} is outside the file: ${line}`);
    assert.ok(col >= 1 && col <= (rows[row - 1]?.length ?? 0) + 1, `column ${col} is outside line ${row}: ${line}`);
  }
  assert.equal(
    r.diagnostics.map(formatDiagnostic),
    [...lines],
    "the same text gives the same diagnostics",
  );
}

/** What must hold of any build: clean paths, no JavaScript leaking into configs, secrets closed. */
function checkOutput(files: readonly OutFile[], values: readonly string[]): void {
  for (const f of files) {
    assert.ok(NORMAL_RELATIVE.test(f.path), `output path ${JSON.stringify(f.path)}`);
    assert.not.ok(/\bundefined\b|\[object Object\]|\bNaN\b/.test(f.content), `${f.path} holds a JavaScript artefact`);
    if (values.some((v) => f.content.includes(v))) assert.is(f.mode & 0o077, 0, `${f.path} holds a secret with mode ${f.mode.toString(8)}`);
  }
}

test("property: any topology text gives clean diagnostics or a build; never an exception", () => {
  const accepted: { shape: string; text: string }[] = [];
  let runs = 0;
  fc.assert(
    fc.property(topologyText, (s) => {
      runs++;
      const r = compile(s.text, "topology.yaml");
      checkDiagnostics(s.text, r.diagnostics.map(formatDiagnostic));
      assert.is(r.graph === undefined, hasErrors(r.diagnostics), "a graph exactly when there is no error");
      if (!r.graph) return;
      const secrets = knownSecrets(r.graph);
      const { files, plans } = emit(r.graph, secrets, targets, DEFAULT_TARGET_OPTIONS);
      checkOutput(files, secretValues(secrets));
      for (const p of plans) for (const f of p.files) assert.ok(NORMAL_ABSOLUTE.test(f.path), `${p.host.name}: host path ${JSON.stringify(f.path)}`);
      accepted.push({ shape: s.shape, text: s.text });
    }),
    { seed: SEED, numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] },
  );
  assert.ok(runs >= RUNS / 2, `only ${runs} runs within ${TIME_LIMIT_MS} ms`);
  // Both sides must be exercised, or the property says little.
  assert.ok(accepted.length >= runs / 5, `only ${accepted.length} of ${runs} generated topologies were accepted`);
  assert.ok(accepted.length <= runs - runs / 5, `only ${runs - accepted.length} of ${runs} were rejected`);
  samples.push(...pickShapes(accepted, VERIFY_SAMPLES));
});

/**
 * Samples for the real tools, bounded in cost: the first accepted one with a
 * WordPress pool but no volume (PHP, SQL, my.cnf), then small ones of the
 * other failover modes. A Gluster volume adds hosts and minutes; the examples'
 * own verify test covers it.
 */
function pickShapes(accepted: readonly { shape: string; text: string }[], n: number): { shape: string; text: string }[] {
  const mode = (shape: string): string => shape.split("/")[0] ?? "";
  const out: { shape: string; text: string }[] = [];
  const wp = accepted.find((a) => a.shape.includes("wordpress") && !a.shape.includes("volume"));
  if (wp) out.push(wp);
  for (const a of accepted) if (out.length < n && !a.shape.includes("wordpress") && !out.some((o) => mode(o.shape) === mode(a.shape))) out.push(a);
  return out;
}

const samples: { shape: string; text: string }[] = [];

test(`property: ${VERIFY_SAMPLES} accepted topologies of different shapes pass hacompile verify`, async () => {
  if (!ROOT_USER && !CI) {
    process.stdout.write("\n(skipped: verify needs root; CI runs it)\n");
    return;
  }
  assert.is(samples.length, VERIFY_SAMPLES, `only ${samples.length} shapes were accepted`);
  const dir = mkdtempSync(join(tmpdir(), "hacompile-property-"));
  try {
    for (const [i, s] of samples.entries()) {
      const r = compile(s.text, "topology.yaml");
      assert.ok(r.graph);
      const out = join(dir, `sample${i}`);
      writeTreeAtomic(out, emit(r.graph, knownSecrets(r.graph), targets, DEFAULT_TARGET_OPTIONS).files);
      // A TLS sample's certificate is the operator's: verify stands a throwaway pair in for it.
      const results = await runChecks(loadContext(out));
      const bad = results.filter((x) => x.status === "fail" || (CI && x.status === "skipped"));
      assert.equal(
        bad.map((x) => `${x.status} ${x.tool} ${x.file}: ${x.message}`),
        [],
        `sample ${i} (${s.shape}):\n${s.text}`,
      );
      assert.ok(results.length > 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
