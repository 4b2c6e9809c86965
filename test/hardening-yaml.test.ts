// Hostile YAML through the real CLI: each input gets the documented exit code
// and exactly the expected diagnostics (or a bounded-time success), within a
// time limit and a capped heap, and never a stack trace. Large inputs are
// generated in a temporary folder at test time.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_FILE_BYTES, MAX_NESTING_DEPTH } from "../src/load/limits.js";
import { MAX_HOSTS } from "../schema/topology.js";
import { ROOT } from "./helpers.js";

const BIN = join(ROOT, "bin/hacompile.js");
/** Every run must finish within this, and within this heap. */
const TIME_LIMIT_MS = 20_000;
const HEAP_MB = 128;

interface Case {
  readonly name: string;
  /** File contents, or a path to read instead (a device). */
  readonly input: string | Buffer | { readonly path: string };
  readonly exit: number;
  /** Exact stderr lines, FILE standing for the input's path; or a check of them. */
  readonly stderr: readonly string[] | ((lines: readonly string[]) => void);
}

/** A host list of n entries in 10.0.0.0/8, and a pool over all but the two LBs. */
function hosts(n: number): string {
  const addr = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 0}`;
  const lines = ["name: big", "site: { domain: example.org, admin_email: a@example.org }", "network: { subnet: 10.0.0.0/8, admin: 10.0.0.0/28 }", "hosts:"];
  for (let i = 0; i < n; i++) lines.push(`  h${i}: { address: ${addr(i + 256)} }`);
  lines.push("loadbalancer: { hosts: [h0, h1], vip: 10.0.0.5, routes: [{ path: /, pool: web }] }");
  lines.push(`pools:\n  web: { hosts: [${Array.from({ length: n - 2 }, (_, i) => `h${i + 2}`).join(", ")}], app: static }`);
  return lines.join("\n") + "\n";
}

/** "billion laughs": nine levels of nine aliases each. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  return lines.join("\n") + "\n";
}

const fileTooLarge = [`FILE:1:1: the file is larger than the limit of ${MAX_FILE_BYTES} bytes [file-too-large]`];

const cases: readonly Case[] = [
  { name: "empty file", input: "", exit: 1, stderr: ["FILE:1:1: the file holds no topology [empty-topology]"] },
  { name: "only a comment", input: "# nothing\n", exit: 1, stderr: ["FILE:1:1: the file holds no topology [empty-topology]"] },
  {
    name: "binary (a PNG header)",
    input: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
    exit: 1,
    stderr: ["FILE:1:1: the file is not UTF-8 text (an invalid byte sequence starts here) [not-utf8]"],
  },
  {
    name: "binary that is valid UTF-8 (an ELF header)",
    input: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
    exit: 1,
    stderr: ["FILE:1:1: control character \\u007F (U+007F) is not allowed in YAML text [control-character]"],
  },
  { name: "a NUL inside a value", input: "name: web\u0000x\n", exit: 1, stderr: ["FILE:1:10: control character \\u0000 (U+0000) is not allowed in YAML text [control-character]"] },
  {
    name: "garbage",
    input: "a: [\n}}}: :\n",
    exit: 1,
    stderr: [
      "FILE:2:1: Flow sequence in block collection must be sufficiently indented and end with a ] [yaml-syntax]",
      'FILE:2:2: Unexpected flow-map-end token in YAML stream: "}" [yaml-syntax]',
      'FILE:2:3: Unexpected flow-map-end token in YAML stream: "}" [yaml-syntax]',
      'FILE:2:4: Unexpected map-value-ind token in YAML stream: ":" [yaml-syntax]',
      'FILE:2:6: Unexpected map-value-ind token in YAML stream: ":" [yaml-syntax]',
    ],
  },
  {
    name: "a flood of syntax errors is cut short",
    input: "a: [\n" + "}".repeat(5000) + "\n",
    exit: 1,
    stderr: (lines) => {
      assert.is(lines.length, 21);
      assert.match(lines[20]!, /^FILE:2:\d+: \d+ more YAML error\(s\) not shown; fix the first ones and try again \[yaml-syntax\]$/);
    },
  },
  { name: "a 50 MB file", input: ("# " + "x".repeat(97) + "\n").repeat(500_000), exit: 1, stderr: fileTooLarge },
  { name: "endless input (/dev/zero)", input: { path: "/dev/zero" }, exit: 1, stderr: fileTooLarge },
  { name: "one 1 MB scalar", input: "x".repeat(MAX_FILE_BYTES - 1), exit: 1, stderr: ["FILE:1:1: (top level) must be a mapping, not a string [invalid-type]"] },
  {
    name: "deep flow nesting",
    input: "name: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n",
    exit: 1,
    // The top-level mapping is the first level, so the MAX-th "[" is one level too many.
    stderr: [`FILE:1:${6 + MAX_NESTING_DEPTH}: collections are nested more than ${MAX_NESTING_DEPTH} levels deep [yaml-too-deep]`],
  },
  {
    name: "deep block nesting",
    input: Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + "\n",
    exit: 1,
    stderr: [`FILE:${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1}: collections are nested more than ${MAX_NESTING_DEPTH} levels deep [yaml-too-deep]`],
  },
  {
    name: "alias bomb (billion laughs)",
    input: aliasBomb(),
    exit: 1,
    stderr: ["FILE:2:8: aliases expand beyond the limit of 100 (a guard against alias bombs) [yaml-alias-limit]"],
  },
  { name: "duplicate keys", input: "name: a\nname: b\n", exit: 1, stderr: ["FILE:2:1: duplicate key 'name'; first given at line 1 [yaml-duplicate-key]"] },
  { name: "a list as a key", input: "? [a]\n: 1\n", exit: 1, stderr: ["FILE:1:3: a list cannot be a key; keys are names [yaml-key-not-string]"] },
  {
    name: "numbers, booleans and null as keys under hosts",
    input: "hosts:\n  1: x\n  0x1A: x\n  true: x\n  ~: x\n",
    exit: 1,
    stderr: [
      "FILE:2:3: key 1 is read as a number; keys are names: quote it ('1') to use it as one [yaml-key-not-string]",
      "FILE:3:3: key 0x1A is read as a number; keys are names: quote it ('0x1A') to use it as one [yaml-key-not-string]",
      "FILE:4:3: key true is read as a boolean; keys are names: quote it ('true') to use it as one [yaml-key-not-string]",
      "FILE:5:3: an empty key (null); keys are names [yaml-key-not-string]",
    ],
  },
  { name: "__proto__ as a key", input: "hosts:\n  __proto__: { address: 10.0.0.1 }\n", exit: 1, stderr: ["FILE:2:3: key '__proto__' is not allowed [reserved-key]"] },
  { name: "two documents", input: "name: a\n---\nname: b\n", exit: 1, stderr: ["FILE:2:1: the file holds more than one YAML document [yaml-syntax]"] },
  { name: "100,000 hosts", input: hosts(100_000), exit: 1, stderr: fileTooLarge },
  { name: "one host too many", input: hosts(MAX_HOSTS + 1), exit: 1, stderr: [`FILE:5:3: hosts must have at most ${MAX_HOSTS} entries [out-of-range]`] },
  { name: `${MAX_HOSTS} hosts`, input: hosts(MAX_HOSTS), exit: 0, stderr: [] },
];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly ms: number;
}

function runValidate(file: string): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, BIN, "validate", file], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: TIME_LIMIT_MS,
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - t0 }));
  });
}

test("hostile YAML: documented exit codes and exact diagnostics, in bounded time and memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-hostile-"));
  try {
    const files = cases.map((c, i) => {
      if (typeof c.input === "object" && "path" in c.input) return c.input.path;
      const p = join(dir, `case${i}.yaml`);
      writeFileSync(p, c.input);
      return p;
    });
    // Four at a time: each is a separate process.
    const runs: Run[] = [];
    for (let i = 0; i < cases.length; i += 4) runs.push(...(await Promise.all(files.slice(i, i + 4).map(runValidate))));
    cases.forEach((c, i) => {
      const r = runs[i]!;
      const file = files[i]!;
      assert.is(r.signal, null, `${c.name}: killed by ${String(r.signal)} after ${r.ms} ms (time limit ${TIME_LIMIT_MS} ms, heap ${HEAP_MB} MB)`);
      assert.is(r.code, c.exit, `${c.name}: exit ${String(r.code)}\n${r.stderr}`);
      assert.not.match(r.stderr, /\n\s+at .+:\d+:\d+/, `${c.name}: stack trace`);
      const lines = r.stderr === "" ? [] : r.stderr.trimEnd().split("\n").map((l) => l.split(file).join("FILE"));
      for (const l of lines) assert.match(l, /^FILE:\d+:\d+: .+ \[[a-z0-9-]+\]$/, `${c.name}: not a diagnostic: ${l}`);
      if (typeof c.stderr === "function") c.stderr(lines);
      else assert.equal(lines, [...c.stderr], c.name);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hostile YAML: --json says the same for a hostile file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-hostile-"));
  try {
    const p = join(dir, "t.yaml");
    writeFileSync(p, aliasBomb());
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN, "validate", p, "--json"], { stdio: ["ignore", "pipe", "ignore"], timeout: TIME_LIMIT_MS });
      let s = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (s += d));
      child.on("close", () => resolve(s));
    });
    const j = JSON.parse(out) as { diagnostics: { code: string; line: number; col: number }[] };
    assert.equal(
      j.diagnostics.map((d) => [d.code, d.line, d.col]),
      [["yaml-alias-limit", 2, 8]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
