// YAML with positions. The parsed document stays in memory so that any
// topology path (from zod or from a semantic check) can be turned back into
// the line and column the user wrote. Pure: text in, values out.
//
// Hostile input is refused before it costs much: a size limit, no control
// characters, a nesting limit enforced while the syntax tree is built (the
// yaml package composes documents recursively), keys that are strings, and a
// bound on alias expansion. Every refusal is a diagnostic with a position.
import {
  Composer,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  visit,
  type CST,
  type Document,
  type Node,
  YAMLParseError,
  type YAMLError,
} from "yaml";
import { error, type Diagnostic, type Position, type TopologyPath } from "../diagnostics.js";
import { MAX_ALIAS_COUNT, MAX_FILE_BYTES, MAX_NESTING_DEPTH, MAX_YAML_ERRORS } from "./limits.js";
import { indentationMistakes } from "./indentation.js";
import { shown } from "./shown.js";

export interface Loaded {
  /** The plain value (undefined when the YAML could not be read). */
  readonly value: unknown;
  readonly diagnostics: Diagnostic[];
  /** Resolves a topology path to where it was written. */
  readonly locate: (path: TopologyPath, atKey?: boolean) => Position;
}

export interface LoadOptions {
  /**
   * Messages that may quote the source (the yaml package's syntax errors) are
   * replaced by their code alone: for files that hold secrets.
   */
  readonly quiet?: boolean;
}

const yamlCodes: Record<string, string> = {
  DUPLICATE_KEY: "yaml-duplicate-key",
  ALIAS_PROPS: "yaml-syntax",
  BAD_ALIAS: "yaml-bad-alias",
};

/**
 * Characters YAML 1.2 does not allow in a stream (outside c-printable): C0
 * controls but tab and line breaks, DEL, C1 controls but NEL, lone surrogates,
 * U+FFFE and U+FFFF. A NUL or an escape sequence hidden in a file is refused
 * outright, not carried into a name.
 */
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]|\p{Cs}/u;

const start = (): Position => ({ line: 1, col: 1 });

export function loadYaml(text: string, opts: LoadOptions = {}): Loaded {
  const none: Loaded["locate"] = () => start();
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    const message = `the file is ${bytes} bytes; the limit is ${MAX_FILE_BYTES} (1 MiB)`;
    return { value: undefined, diagnostics: [{ ...error("file-too-large", [], message), pos: start() }], locate: none };
  }
  const bad = FORBIDDEN_CHAR.exec(text);
  if (bad) {
    const cp = bad[0].codePointAt(0) ?? 0;
    const message = `control character ${shown(bad[0])} (U+${cp.toString(16).toUpperCase().padStart(4, "0")}) is not allowed in YAML text`;
    return { value: undefined, diagnostics: [{ ...error("control-character", [], message), pos: textPosition(text, bad.index) }], locate: none };
  }

  const lineCounter = new LineCounter();
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, col: lp.col };
  };
  const tokens = syntaxTree(text, lineCounter);
  if (!Array.isArray(tokens)) {
    const message = `collections are nested more than ${MAX_NESTING_DEPTH} levels deep`;
    return { value: undefined, diagnostics: [{ ...error("yaml-too-deep", [], message), pos: pos(tokens.tooDeepAt) }], locate: none };
  }

  const doc = compose(tokens, text.length);
  const locate = (path: TopologyPath, atKey = false): Position => pos(offsetOf(doc, path, atKey));
  if (doc.errors.length > 0) return { value: undefined, diagnostics: syntaxDiagnostics(text, { doc, pos }, opts.quiet === true), locate };

  const keyProblems = nonStringKeys(doc, pos, opts.quiet === true);
  if (keyProblems.length > 0) return { value: undefined, diagnostics: keyProblems, locate };

  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), diagnostics: [], locate };
  } catch (e) {
    // On a document without syntax errors toJS throws only for the alias bound; anything else is a bug.
    if (!(e instanceof ReferenceError)) throw e;
    const message = `aliases expand beyond the limit of ${MAX_ALIAS_COUNT} (a guard against alias bombs)`;
    return { value: undefined, diagnostics: [{ ...error("yaml-alias-limit", [], message), pos: pos(firstAlias(doc)) }], locate };
  }
}

/** 1-based line and column of a string index, counted the way LineCounter does. */
function textPosition(text: string, index: number): Position {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return { line, col: index - (before.lastIndexOf("\n") + 1) + 1 };
}

/**
 * The concrete syntax tree, built one token at a time so that the nesting
 * depth is checked as it grows: the parser keeps an explicit stack, so this
 * stays cheap however deep the input tries to go.
 */
function syntaxTree(text: string, lineCounter: LineCounter): CST.Token[] | { tooDeepAt: number } {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    let depth = 0;
    for (const t of parser.stack) {
      if (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") {
        depth++;
        if (depth > MAX_NESTING_DEPTH) return { tooDeepAt: t.offset };
      }
    }
  }
  for (const t of parser.end()) tokens.push(t);
  return tokens;
}

/** One document, as parseDocument() would give it (a second document is an error). */
function compose(tokens: readonly CST.Token[], end: number): Document.Parsed {
  const composer = new Composer({ uniqueKeys: true, strict: true, prettyErrors: false });
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(tokens, true, end)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], "MULTIPLE_DOCS", "more than one document"));
      break;
    }
  }
  // compose(..., forceDoc = true) always yields a document.
  if (!doc) throw new Error("yaml: no document composed");
  return doc;
}

interface Composed {
  readonly doc: Document.Parsed;
  readonly pos: (offset: number) => Position;
}

/** Parses a text again (for the indentation repairs); undefined when it nests too deep. */
function reparse(text: string): (Composed & { errors: readonly YAMLError[]; lineOf: (offset: number) => number }) | undefined {
  const lc = new LineCounter();
  const tokens = syntaxTree(text, lc);
  if (!Array.isArray(tokens)) return undefined;
  const doc = compose(tokens, text.length);
  const pos = (offset: number): Position => ({ line: lc.linePos(offset).line, col: lc.linePos(offset).col });
  return { doc, pos, errors: doc.errors, lineOf: (o) => pos(o).line };
}

/** Indentation mistakes one each, then what else is wrong, at most MAX_YAML_ERRORS lines. */
function syntaxDiagnostics(text: string, first: Composed, quiet: boolean): Diagnostic[] {
  const start = { ...first, errors: first.doc.errors, lineOf: (o: number) => first.pos(o).line };
  // Each repair parses the text again: bounded to texts a person writes (a
  // thousand hosts is 40 KiB), so a hostile megabyte costs one parse only.
  const repairs = text.length <= 256 * 1024 ? MAX_YAML_ERRORS : 0;
  const { mistakes, parsed } = indentationMistakes(text, start, reparse, repairs);
  const out: Diagnostic[] = mistakes.map((m) => ({ ...error("yaml-indentation", [], m.message), pos: m.pos }));
  // Positions of the other errors are in the re-indented text: only leading spaces changed, lines did not.
  return [...out, ...syntaxErrors(parsed.errors, parsed, quiet, MAX_YAML_ERRORS - out.length)];
}

function syntaxErrors(errors: readonly YAMLError[], at: Composed, quiet: boolean, max: number): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of errors.slice(0, max)) {
    const code = yamlCodes[e.code] ?? "yaml-syntax";
    out.push({ ...error(code, [], syntaxMessage(e, quiet, at)), pos: at.pos(e.pos[0]) });
  }
  if (errors.length > max) {
    const next = errors[max]!;
    const message = `${errors.length - max} more YAML error(s) not shown; fix the first ones and try again`;
    out.push({ ...error("yaml-syntax", [], message), pos: at.pos(next.pos[0]) });
  }
  return out;
}

/** "duplicate key 'lb1'; first at line 13": the key (unless quiet) and where it was first given. */
function duplicateMessage(e: YAMLError, quiet: boolean, at: Composed): string {
  let found: { key: string; line: number } | undefined;
  visit(at.doc, {
    Map(_, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const k = keyText(pair.key);
        const offset = rangeStart(pair.key);
        if (k === undefined || offset === undefined) continue;
        const earlier = seen.get(k);
        if (earlier !== undefined && offset === e.pos[0]) {
          found = { key: k, line: at.pos(earlier).line };
          return visit.BREAK;
        }
        if (earlier === undefined) seen.set(k, offset);
      }
      return undefined;
    },
  });
  if (found === undefined) return "duplicate key in mapping";
  return quiet ? `duplicate key; first given at line ${found.line}` : `duplicate key '${shown(found.key)}'; first given at line ${found.line}`;
}

function syntaxMessage(e: YAMLError, quiet: boolean, at: Composed): string {
  if (e.code === "DUPLICATE_KEY") return duplicateMessage(e, quiet, at);
  if (e.code === "MULTIPLE_DOCS") return "the file holds more than one YAML document";
  if (quiet) return `not valid YAML here (${e.code})`;
  const first = (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "").trim();
  // The yaml package quotes source text in some messages: keep them one short line.
  return shown(first, 120);
}

const PROTO = "__proto__";

/**
 * Mapping keys must be strings. A collection as a key would be stringified
 * ("[object Object]"), and a plain `1`, `0x1A`, `true` or `~` would silently
 * become "1", "26", "true" or "" as a name: refused, with the way to say it.
 */
function nonStringKeys(doc: Document.Parsed, pos: (offset: number) => Position, quiet: boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  visit(doc, {
    Pair(_, pair, path) {
      const key = pair.key;
      const parent = path[path.length - 1];
      const offset = rangeStart(key) ?? rangeStart(parent) ?? 0;
      if (isScalar(key)) {
        if (key.value === PROTO) {
          // JavaScript objects treat it as their prototype: zod would drop it without a word.
          out.push({ ...error("reserved-key", [], `key '${PROTO}' is not allowed`), pos: pos(offset) });
          return;
        }
        if (typeof key.value === "string") return;
        const src = shown(key.source ?? String(key.value));
        const message =
          key.value === null
            ? "an empty key (null); keys are names"
            : quiet
              ? `a key read as a ${typeof key.value}; keys are names`
              : `key ${src} is read as a ${typeof key.value}; keys are names: quote it ('${src}') to use it as one`;
        out.push({ ...error("yaml-key-not-string", [], message), pos: pos(offset) });
      } else {
        const what = isAlias(key) ? "an alias" : isSeq(key) ? "a list" : isMap(key) ? "a mapping" : "this";
        out.push({ ...error("yaml-key-not-string", [], `${what} cannot be a key; keys are names`), pos: pos(offset) });
      }
    },
  });
  return out;
}

function firstAlias(doc: Document.Parsed): number {
  let at = 0;
  visit(doc, {
    Alias(_, node) {
      at = rangeStart(node) ?? 0;
      return visit.BREAK;
    },
  });
  return at;
}

/**
 * Offset of the deepest node that exists along `path`: a missing key points at
 * its parent mapping, which is where the user has to add it.
 */
function offsetOf(doc: Document, path: TopologyPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return best;
      if (last && atKey) return rangeStart(pair.key) ?? best;
      node = pair.value;
      best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

function rangeStart(n: unknown): number | undefined {
  if (isNode(n)) return (n as Node).range?.[0];
  return undefined;
}
