// Nothing half-written: builds killed with SIGKILL at random points (a fixed
// seed; half of the kills aimed at the write phase, once the new generation
// folder exists) leave the output as the old tree or the new one, never a
// mix; the next build cleans up whatever a killed one left behind.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT } from "./helpers.js";

const BIN = join(ROOT, "bin/hacompile.js");
const FAKE = join(ROOT, "test/fixtures/fake.secrets.yaml");
const EXAMPLE = join(ROOT, "examples/wordpress-ha/topology.yaml");
const KILLS = 8;
const SEED = 0x5eed;

/** mulberry32: a small seeded generator, so every run kills at the same points. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Path, mode and content hash of every file below dir (following the output link). */
function fingerprint(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p, r);
      else out.push(`${r} ${(statSync(p).mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

interface Outcome {
  readonly killed: boolean;
  readonly code: number | null;
}

/** Unreferenced: a pending wait must not keep the test process alive. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Runs a build into `out` and kills it: after `delayMs` from the start, or,
 * when `atWrite`, `delayMs` after its generation folder appears.
 */
async function buildAndKill(topology: string, out: string, delayMs: number, atWrite: boolean): Promise<Outcome> {
  const parent = join(out, "..");
  const before = new Set(readdirSync(parent));
  const child = spawn(process.execPath, [BIN, "build", topology, "-o", out, "--secrets", FAKE, "--frozen-secrets"], { stdio: "ignore" });
  let exited: number | null | undefined;
  const done = new Promise<void>((resolve) =>
    child.on("exit", (code) => {
      exited = code;
      resolve();
    }),
  );
  const deadline = Date.now() + 30_000;
  if (atWrite) {
    while (exited === undefined && Date.now() < deadline && !readdirSync(parent).some((e) => !before.has(e) && e.includes(".gen-"))) await sleep(1);
  }
  await Promise.race([sleep(delayMs), done]);
  const killed = exited === undefined && child.kill("SIGKILL");
  await done;
  return { killed, code: exited ?? null };
}

test("a build killed at random points leaves the old output or the new one, never a mix", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-kill-"));
  try {
    const v1 = join(dir, "v1.yaml");
    const v2 = join(dir, "v2.yaml");
    cpSync(EXAMPLE, v1);
    // Another name changes nearly every file, so a mix could not hide.
    writeFileSync(v2, readFileSync(EXAMPLE, "utf8").replace(/^name: wordpress-ha$/m, "name: wordpress-hb"));
    const out = join(dir, "out");

    const complete = async (topology: string): Promise<string[]> => {
      const r = await buildAndKill(topology, out, 60_000, false);
      assert.is(r.code, 0, `build of ${topology} failed`);
      return fingerprint(out);
    };
    const newTree = await complete(v2);
    const oldTree = await complete(v1);
    assert.not.equal(oldTree, newTree);

    const random = seeded(SEED);
    let killedMidWrite = 0;
    let current = oldTree;
    for (let i = 0; i < KILLS; i++) {
      const atWrite = i % 2 === 0;
      // From the start: anywhere in a build (about a second). At the write: within its first 150 ms.
      const delay = Math.floor(random() * (atWrite ? 150 : 1500));
      const target = current === oldTree ? v2 : v1;
      const r = await buildAndKill(target, out, delay, atWrite);
      assert.ok(existsSync(join(out, "graph.json")), `kill ${i}: no output at all`);
      const now = fingerprint(out);
      const whole = now.join("\n") === oldTree.join("\n") || now.join("\n") === newTree.join("\n");
      assert.ok(whole, `kill ${i} (${r.killed ? `killed after ${delay} ms${atWrite ? " of writing" : ""}` : `exit ${String(r.code)}`}): the output is a mix of two builds`);
      if (r.killed && atWrite) killedMidWrite++;
      current = now.join("\n") === oldTree.join("\n") ? oldTree : newTree;
    }
    assert.ok(killedMidWrite >= 2, `only ${killedMidWrite} kills landed while writing: the test did not test`);

    // A build that completes removes what the killed ones left behind.
    await complete(v1);
    const leftovers = readdirSync(dir).filter((e) => e.includes(".gen-"));
    assert.is(leftovers.length, 1, `leftovers: ${leftovers.join(" ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
