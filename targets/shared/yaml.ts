// YAML 1.1 documents for the targets (cloud-init user-data, compose.yaml),
// byte for byte what the yaml package writes, in a fraction of its time.
//
// Why: stringifying through yaml's Document builds a node per value and
// tests every plain string against every YAML 1.1 type; it was the largest
// cost of a build (about half of it for a thousand hosts). Our documents are
// plain maps, lists, booleans, integers and strings, so this writer formats
// them directly, following yaml's own rules (stringifyString.js,
// stringifyPair.js and stringifyCollection.js of yaml 2) and asking yaml's
// YAML 1.1 schema whether a plain string would read back as another type.
// Whatever it does not handle (null, floats, strings that need multi-line
// quoting or escapes, shared objects that yaml would alias, long keys) makes
// it return undefined, and the caller lets yaml write the document instead.
// test/yaml-writer.test.ts compares the two on tricky and random strings.
import { Document } from "yaml";

export interface YamlOptions {
  /** Lines of the comment above the document, as yaml's `commentBefore`. */
  readonly comment?: string;
  /** Arrays (by identity) written in flow style: `[ a, b ]`. */
  readonly flow?: ReadonlySet<unknown>;
  /** yaml's aliasDuplicateObjects: an object met twice would become an alias; here it means "not handled". */
  readonly aliasDuplicateObjects: boolean;
}

/** Control characters and lone surrogates: yaml escapes them in double quotes. */
const NEEDS_ESCAPE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/**
 * The same without the u flag, several times faster on long text: it also
 * matches the halves of a valid surrogate pair, so a match is confirmed with
 * NEEDS_ESCAPE.
 */
const MAY_NEED_ESCAPE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]/;

function needsEscape(s: string): boolean {
  return MAY_NEED_ESCAPE.test(s) && NEEDS_ESCAPE.test(s);
}
/** Where yaml gives up on a plain scalar (stringifyString.js, plainString). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const FLOW_INDICATOR = /[[\]{},]/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;
const MERGE_KEY = "<<";
/** Keys longer than this become explicit keys (`? key`) in yaml. */
const MAX_IMPLICIT_KEY = 1024;

let blockEndNewlines: RegExp | undefined;
let resolvesToOther: ((s: string) => boolean) | undefined;

/** Would this plain scalar read back as something other than a string under YAML 1.1 (yaml's own tag tests)? */
function isOtherType(s: string): boolean {
  // No YAML 1.1 type (null, bool, int, float, timestamp, merge) starts with '/':
  // the many paths skip the tests.
  if (s[0] === "/") return false;
  if (!resolvesToOther) {
    const { tags, compat } = new Document(null, { version: "1.1" }).schema;
    // As plainString: any default tag but str ("key" too: the merge key <<).
    const typed = [...tags, ...(compat ?? [])].filter(
      (t) => Boolean(t.default) && t.tag !== "tag:yaml.org,2002:str" && "test" in t && t.test instanceof RegExp,
    );
    const tests = typed.map((t) => (t as { test: RegExp }).test);
    resolvesToOther = (x) => tests.some((re) => re.test(x));
  }
  return resolvesToOther(s);
}

/** yaml's quotedString for a single line without escapes: single quotes only when the text holds double quotes and no single ones. */
function quoted(s: string): string {
  return s.includes('"') && !s.includes("'") ? `'${s}'` : JSON.stringify(s);
}

/** A single-line string, or undefined when yaml would need more than plain or simple quotes. */
function lineScalar(s: string, implicitKey: boolean, inFlow: boolean, indent: string): string | undefined {
  // yaml takes this string for its merge key tag and writes it bare.
  if (s === MERGE_KEY) return undefined;
  if ((inFlow && FLOW_INDICATOR.test(s)) || NOT_PLAIN.test(s)) return quoted(s);
  // yaml indents or quotes these by position; rare enough to leave to it.
  if (DOCUMENT_MARKER.test(s) && (indent === "" || implicitKey)) return undefined;
  return isOtherType(s) ? quoted(s) : s;
}

/** /\n[\t ]+$/.test(s) (yaml then quotes the block), without a regex scan of the whole text. */
function endsWithBlankLine(s: string): boolean {
  let i = s.length;
  while (i > 0 && (s[i - 1] === " " || s[i - 1] === "\t")) i--;
  return i < s.length && s[i - 1] === "\n";
}

/** yaml's blockString in literal style, for a value with a line break, at `indent`. */
function literalBlock(value: string, indent: string): string | undefined {
  if (endsWithBlankLine(value) || indent === "") return undefined;
  let endStart = value.length;
  while (endStart > 0 && "\n\t ".includes(value[endStart - 1]!)) endStart--;
  let end = value.substring(endStart);
  const endNlPos = end.indexOf("\n");
  const chomp = endNlPos === -1 ? "-" : value === end || endNlPos !== end.length - 1 ? "+" : "";
  if (end) {
    value = value.slice(0, -end.length);
    if (end.endsWith("\n")) end = end.slice(0, -1);
    blockEndNewlines ??= /(^|(?<!\n))\n+(?!\n|$)/g;
    end = end.replace(blockEndNewlines, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd = 0;
  let startNlPos = -1;
  for (; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === " ") startWithSpace = true;
    else if (ch === "\n") startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? "2" : "") + chomp;
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

function scalar(v: unknown, ctx: Ctx, implicitKey: boolean, inFlow: boolean): string | undefined {
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : undefined;
  if (typeof v !== "string" || needsEscape(v)) return undefined;
  if (!v.includes("\n")) return lineScalar(v, implicitKey, inFlow, ctx.indent);
  return implicitKey || inFlow ? undefined : literalBlock(v, ctx.indent);
}

interface Ctx {
  readonly indent: string;
  readonly opts: YamlOptions;
  readonly seen: Set<object> | undefined;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Marks a collection as met; false when yaml would alias it. */
function firstMeeting(v: object, ctx: Ctx): boolean {
  if (!ctx.seen) return true;
  if (ctx.seen.has(v)) return false;
  ctx.seen.add(v);
  return true;
}

/** A node at ctx.indent: a scalar, or a collection whose lines after the first start at ctx.indent. */
function node(v: unknown, ctx: Ctx, inFlow: boolean): string | undefined {
  if (v === null || typeof v !== "object") return scalar(v, ctx, false, inFlow);
  if (!firstMeeting(v, ctx)) return undefined;
  if (Array.isArray(v)) return inFlow || ctx.opts.flow?.has(v) ? flowSeq(v, ctx) : blockSeq(v, ctx);
  if (!isPlainObject(v) || inFlow) return undefined;
  return blockMap(v, ctx);
}

function flowSeq(items: readonly unknown[], ctx: Ctx): string | undefined {
  if (items.length === 0) return "[]";
  const inner: Ctx = { ...ctx, indent: ctx.indent + "    " };
  const parts: string[] = [];
  for (const it of items) {
    const s = it === null || typeof it === "object" ? undefined : scalar(it, inner, false, true);
    if (s === undefined) return undefined;
    parts.push(s);
  }
  return `[ ${parts.join(", ")} ]`;
}

function blockSeq(items: readonly unknown[], ctx: Ctx): string | undefined {
  if (items.length === 0) return "[]";
  const inner: Ctx = { ...ctx, indent: ctx.indent + "  " };
  const lines: string[] = [];
  for (const it of items) {
    const s = node(it, inner, false);
    if (s === undefined) return undefined;
    lines.push(`- ${s}`);
  }
  return lines.join(`\n${ctx.indent}`);
}

/** Keys repeat (path, content, image, ...): each is decided once (a key's form does not depend on its indent). */
const keyMemo = new Map<string, string | undefined>();

function keyScalar(k: string, indent: string): string | undefined {
  if (keyMemo.has(k)) return keyMemo.get(k);
  const key = k.includes("\n") || needsEscape(k) ? undefined : lineScalar(k, true, false, indent);
  // Bounded: host names are keys too.
  if (keyMemo.size > 4096) keyMemo.clear();
  keyMemo.set(k, key);
  return key;
}

function blockMap(obj: Record<string, unknown>, ctx: Ctx): string | undefined {
  const inner: Ctx = { ...ctx, indent: ctx.indent + "  " };
  const lines: string[] = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined) continue; // yaml drops undefined values
    const key = keyScalar(k, inner.indent);
    if (key === undefined || key.length > MAX_IMPLICIT_KEY) return undefined;
    const value = node(v, inner, false);
    if (value === undefined) return undefined;
    lines.push(`${key}:${separator(v, value, ctx, inner)}${value}`);
  }
  return lines.length === 0 ? "{}" : lines.join(`\n${ctx.indent}`);
}

/** What stringifyPair puts between `key:` and the value. */
function separator(v: unknown, value: string, ctx: Ctx, inner: Ctx): string {
  if (v !== null && typeof v === "object") {
    const flow = (Array.isArray(v) && ctx.opts.flow?.has(v) === true) || value === "[]" || value === "{}";
    return flow && !value.includes("\n") ? " " : `\n${inner.indent}`;
  }
  return value === "" || value[0] === "\n" ? "" : " ";
}

/**
 * The document yaml would write for `value` (a map) with
 * `new Document(value, { version: "1.1", aliasDuplicateObjects })`,
 * `commentBefore = comment`, the arrays in `flow` set to flow style and
 * `toString({ lineWidth: 0 })` (literal or default blockQuote: with no line
 * width both give literal blocks). Undefined when this writer cannot vouch
 * for the result.
 */
export function fastYaml(value: Record<string, unknown>, opts: YamlOptions): string | undefined {
  const body = node(value, { indent: "", opts, seen: opts.aliasDuplicateObjects ? new Set() : undefined }, false);
  if (body === undefined) return undefined;
  const comment = opts.comment ? `${opts.comment.replace(/^(?!$)(?: $)?/gm, "#")}\n\n` : "";
  return `${comment}${body}\n`;
}
