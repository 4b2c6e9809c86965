// The injection corpus (test/hardening/injection.yaml): every string field of
// the topology against every hostile payload, each rejected with one exact
// diagnostic at the value's line and column, or (for free text) accepted and
// quoted for every language it reaches. Also checks the corpus's map of which
// languages each field reaches against a real build of its base.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isMap, isPair, isScalar, isSeq, parse, parseDocument, type Node } from "yaml";
import { compile } from "../src/compile.js";
import { formatDiagnostic } from "../src/diagnostics.js";
import { html } from "../src/render/common/quote.js";
import { ROOT } from "./helpers.js";
import { buildText, expectedShown, languageOf, positionOf, type Built } from "./hardening/support.js";

const DIR = join(ROOT, "test/hardening");

interface Format {
  readonly code: string;
  readonly message: string;
}
interface Field {
  readonly field: string;
  readonly base?: string;
  readonly key?: boolean;
  readonly format: string;
  readonly wrap: string;
  readonly accepts?: readonly string[];
  readonly reaches: readonly string[];
}
interface Corpus {
  readonly payloads: Record<string, string>;
  readonly formats: Record<string, Format>;
  readonly fields: readonly Field[];
}

const corpus = parse(readFileSync(join(DIR, "injection.yaml"), "utf8")) as Corpus;

/** "loadbalancer.routes[0].path" -> ["loadbalancer", "routes", 0, "path"] */
function pathOf(field: string): (string | number)[] {
  return field.split(".").flatMap((seg) => {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(seg);
    if (!m) throw new Error(`bad field path ${field}`);
    const idx = [...(m[2] ?? "").matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [m[1]!, ...idx];
  });
}

/** Source range of the field's value (or of its key) in the base text. */
function rangeOf(text: string, f: Field): [number, number] {
  const doc = parseDocument(text);
  let node: unknown = doc.contents;
  const path = pathOf(f.field);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair) throw new Error(`${f.field}: no key ${String(seg)}`);
      node = last && f.key ? pair.key : pair.value;
    } else if (isSeq(node) && typeof seg === "number") node = node.items[seg];
    else throw new Error(`${f.field}: cannot follow ${String(seg)}`);
  }
  const range = (node as Node | undefined)?.range;
  if (!range) throw new Error(`${f.field}: no range`);
  return [range[0], range[1]];
}

function withValue(f: Field, value: string): { text: string; offset: number } {
  const base = readFileSync(join(DIR, f.base ?? "base.yaml"), "utf8");
  const [from, to] = rangeOf(base, f);
  // JSON strings are YAML double-quoted scalars: control characters travel as escapes.
  return { text: base.slice(0, from) + JSON.stringify(value) + base.slice(to), offset: from };
}

function expectedLine(f: Field, value: string, text: string, offset: number): string {
  const fmt = corpus.formats[f.format];
  if (!fmt) throw new Error(`${f.field}: unknown format ${f.format}`);
  const { line, col } = positionOf(text, offset);
  const subject = f.key ? `name '${expectedShown(value)}'` : f.field;
  return `topology.yaml:${line}:${col}: ${subject} ${fmt.message} [${fmt.code}]`;
}

interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly encoding?: string;
}

/** The files a cloud-config writes, decoded, by path. */
function embeddedFiles(userData: string): Record<string, string> {
  const doc = parse(userData) as { write_files?: WriteFile[] };
  const out: Record<string, string> = {};
  for (const w of doc.write_files ?? []) out[w.path] = w.encoding === "b64" ? Buffer.from(w.content, "base64").toString("utf8") : w.content;
  return out;
}

/** Every host file a user-data (systemd/<host>/user-data) carries comes out of it byte for byte. */
function assertEmbedsFaithfully(built: Built, userDataPath: string, userData: string): void {
  const host = userDataPath.split("/")[1];
  const plan = built.plans.find((p) => p.host.name === host);
  assert.ok(plan, `no plan for ${String(host)}`);
  const embedded = embeddedFiles(userData);
  let n = 0;
  for (const f of plan.files) {
    if (!(f.path in embedded)) continue;
    assert.is(embedded[f.path], f.content, `${userDataPath}: ${f.path} changed on the way`);
    n++;
  }
  assert.ok(n > 0, `${userDataPath} carries no host file`);
}

for (const f of corpus.fields) {
  test(`injection: ${f.field} refuses every hostile payload at its position`, () => {
    for (const [name, payload] of Object.entries(corpus.payloads)) {
      if (f.accepts?.includes(name)) continue;
      const value = f.wrap.replace("{}", payload);
      const { text, offset } = withValue(f, value);
      const r = compile(text, "topology.yaml");
      assert.equal(r.diagnostics.map(formatDiagnostic), [expectedLine(f, value, text, offset)], `${f.field} with payload ${name}`);
      assert.is(r.graph, undefined);
    }
  });
}

for (const f of corpus.fields.filter((x) => (x.accepts ?? []).length > 0)) {
  test(`injection: ${f.field} takes free text and every file holds it quoted for its language`, () => {
    for (const name of f.accepts ?? []) {
      const value = f.wrap.replace("{}", corpus.payloads[name]!);
      const built = buildText(withValue(f, value).text);
      assert.ok(built, `${f.field} with payload ${name} should compile`);
      const json = JSON.stringify(value).slice(1, -1);
      let seen = 0;
      for (const file of built.files) {
        const lang = languageOf(file, built.plans);
        if (lang === "html") {
          assert.ok(file.content.includes(html(value)), `${file.path}: no HTML-escaped value (${name})`);
          if (html(value) !== value) assert.not.ok(file.content.includes(value), `${file.path}: raw value in HTML (${name})`);
          seen++;
        } else if (lang === "json") {
          if (file.content.includes(value) && json !== value) assert.unreachable(`${file.path}: unescaped value in JSON (${name})`);
        } else if (lang === "cloud-config") {
          // user-data carries host files: each must come out byte for byte.
          assertEmbedsFaithfully(built, file.path, file.content);
        } else {
          assert.not.ok(file.content.includes(value), `${file.path} (${lang}) holds the ${f.field} value of payload ${name}`);
        }
      }
      assert.ok(seen > 0, `${f.field}: no HTML file holds the value`);
    }
  });
}

test("injection: each field reaches exactly the languages the corpus lists", () => {
  const builds = new Map<string, Built | undefined>();
  for (const f of corpus.fields) {
    const base = f.base ?? "base.yaml";
    const text = readFileSync(join(DIR, base), "utf8");
    const [from, to] = rangeOf(text, f);
    const value = String(parseDocument(text.slice(from, to)).contents?.toJSON() ?? "");
    if (!builds.has(base)) builds.set(base, buildText(text));
    const built = builds.get(base);
    assert.ok(built, `${base} must compile`);
    const langs = new Set<string>();
    for (const file of built.files) {
      const lang = languageOf(file, built.plans);
      if (lang !== undefined && file.content.includes(value)) langs.add(lang);
    }
    assert.equal([...langs].sort(), [...f.reaches].sort(), `${f.field} (${value}) reaches`);
  }
});

test("injection: the corpus covers every payload kind the issue names", () => {
  const p = Object.values(corpus.payloads);
  for (const needle of [";", "\n", "$(", "`", "'", '"', "../", "{", "#", "\0", "\u0430", "\uFF0F"]) {
    assert.ok(p.some((x) => x.includes(needle)), `no payload with ${JSON.stringify(needle)}`);
  }
  assert.ok(p.some((x) => x.length > 255), "no overlong payload");
});

test.run();
