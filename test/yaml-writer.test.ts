// targets/shared/yaml.ts must write exactly what the yaml package writes,
// or decline (undefined). Compared here on every generated YAML document
// parsed back, on tricky strings in every position, and on seeded random
// strings built from the characters YAML treats specially.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Document, isSeq, parse } from "yaml";
import { fastYaml } from "../targets/shared/yaml.js";
import { ROOT } from "./helpers.js";

type Doc = Record<string, unknown>;

/** What the targets did before fastYaml: yaml's own document. */
function reference(value: Doc, opts: { comment?: string; flow?: ReadonlySet<unknown>; alias: boolean }): string {
  const doc = new Document(value, { version: "1.1", aliasDuplicateObjects: opts.alias });
  if (opts.comment) doc.commentBefore = opts.comment;
  const mark = (n: unknown, v: unknown): void => {
    if (!isSeq(n) || !Array.isArray(v)) return;
    if (opts.flow?.has(v)) n.flow = true;
    n.items.forEach((it, i) => mark(it, v[i]));
  };
  const root = doc.contents;
  if (root && "items" in root)
    for (const p of root.items as { key: { value: string }; value: unknown }[]) {
      const v = value[p.key.value];
      if (isSeq(p.value) && Array.isArray(v)) p.value.items.forEach((it, i) => mark(it, v[i]));
    }
  return doc.toString({ lineWidth: 0, blockQuote: "literal" });
}

/** Equal to yaml, or declined; returns whether it was handled. */
function same(value: Doc, opts: { comment?: string; flow?: ReadonlySet<unknown>; alias: boolean }, what: string): boolean {
  const fast = fastYaml(value, { ...opts, aliasDuplicateObjects: opts.alias });
  if (fast !== undefined) assert.is(fast, reference(value, opts), what);
  return fast !== undefined;
}

/** Every compose.yaml and user-data of the goldens. */
function generatedDocuments(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === "compose.yaml" || e.name === "user-data") out.push(join(d, e.name));
    }
  };
  for (const d of ["test/examples", "test/cases"]) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  return out.sort();
}

test("every generated compose.yaml and user-data, parsed back, is written the same and not declined", () => {
  let n = 0;
  for (const f of generatedDocuments()) {
    const text = readFileSync(f, "utf8");
    const value = parse(text, { version: "1.1" }) as Doc;
    const runcmd = Array.isArray(value["runcmd"]) ? (value["runcmd"] as unknown[]) : [];
    assert.ok(same(value, { flow: new Set(runcmd), alias: false }, f), `declined: ${f}`);
    n++;
  }
  assert.ok(n > 20, `only ${n} documents found`);
});

const TRICKY = [
  "", " ", "a", "yes", "No", "on", "OFF", "y", "~", "null", "Null", "true", "0644", "0x1F", "0b101", "1_000", "1:20", "1:20.5",
  "12e3", "e5", ".5", "1.", ".inf", "-.Inf", ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "-", "?", "- a", "? a",
  "a: b", "a:b", "a:", "#a", "a #b", "a#b", "&a", "*a", "!a", "|a", ">a", "%a", "@a", "`a", "'a'", '"a"', "it's", 'say "hi"',
  `both ' and "`, "[a]", "{a}", "a,b", "a]", " lead", "trail ", "tab\tin", "\ttab", "---", "--- a", "...", "a\n---", "%YAML",
  "ünïcödé", "emoji 🙂", "back\\slash", "\u2028sep", "a\u0085b", "ctl\u0001", "del\u007f", "lone\ud800", "cr\r\nlf",
  "x\n", "x\n\n", "x\n\n\n", "\nx", "\n\nx\n", " x\ny", "x\ny", "x\n y\n", "x\n  ", "x \ny", "x\n\ty", "  two\n", "a\n\nb\n\n",
  "# c\nd", "a: b\nc", "- x\n- y\n", "k".repeat(1100),
];

test("tricky strings as values, list items, flow items and keys", () => {
  let handled = 0;
  for (const s of TRICKY) {
    const flow = [s, "x"];
    const cases: [Doc, ReadonlySet<unknown> | undefined][] = [
      [{ k: s }, undefined],
      [{ k: [s, s] }, undefined],
      [{ k: { deeper: s, list: [{ s }] } }, undefined],
      [{ k: [flow] }, new Set([flow])],
      [{ [s]: 1 }, undefined],
      [{ [s]: { [s]: s } }, undefined],
    ];
    for (const [value, f] of cases) if (same(value, { flow: f, alias: false }, JSON.stringify(value))) handled++;
  }
  assert.ok(handled > TRICKY.length * 4, `handled only ${handled}`);
});

test("scalars other than strings, empty collections, comments, aliases", () => {
  const shared = ["a"];
  const docs: Doc[] = [
    { t: true, f: false, n: 3, neg: -7, big: 2 ** 53, float: 0.5, nul: null, und: undefined, e: [], m: {} },
    { list: [[], {}, [1, 2], [[1]], { a: [] }] },
    { nested: { deep: { deeper: { text: "line one\nline two\n" } } } },
  ];
  for (const d of docs) same(d, { alias: false }, JSON.stringify(d));
  same({ a: "b" }, { comment: " one\n\n two\n ", alias: false }, "comment");
  assert.is(fastYaml({ a: shared, b: shared }, { aliasDuplicateObjects: true }), undefined, "an alias is left to yaml");
  assert.ok(same({ a: shared, b: shared }, { alias: false }, "no alias"));
});

test("seeded random strings from YAML's special characters", () => {
  const alphabet = ["a", "b", "0", "1", " ", "\n", "\t", ":", "#", "-", "?", ",", "[", "]", "{", "}", "'", '"', "|", ">", "%", "&", "*", "!", ".", "~", "e", "y", "\\", "@", "`"];
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  let handled = 0;
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(next() * 12);
    let s = "";
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    const flow = [s];
    const value = { [`k${s.replace(/\n/g, "")}`]: s, list: [s, { s }], f: [flow] };
    if (same(value, { flow: new Set([flow]), alias: false }, JSON.stringify(s))) handled++;
  }
  assert.ok(handled > 1000, `handled only ${handled}`);
});

test.run();
