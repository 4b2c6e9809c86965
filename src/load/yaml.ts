// YAML with positions. The parsed document stays in memory so that any
// topology path (from zod or from a semantic check) can be turned back into
// the line and column the user wrote. Pure: text in, values out.
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { error, type Diagnostic, type Position, type TopologyPath } from "../diagnostics.js";

export interface Loaded {
  /** The plain value (undefined when the YAML could not be parsed). */
  readonly value: unknown;
  readonly diagnostics: Diagnostic[];
  /** Resolves a topology path to where it was written. */
  readonly locate: (path: TopologyPath, atKey?: boolean) => Position;
}

const yamlCodes: Record<string, string> = {
  DUPLICATE_KEY: "yaml-duplicate-key",
  ALIAS_PROPS: "yaml-syntax",
  BAD_ALIAS: "yaml-bad-alias",
};

export function loadYaml(text: string): Loaded {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, col: lp.col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const code = yamlCodes[e.code] ?? "yaml-syntax";
    const message = e.code === "DUPLICATE_KEY" ? "duplicate key in mapping" : firstLine(e.message);
    diagnostics.push({ ...error(code, [], message), pos: pos(e.pos[0]) });
  }
  const locate = (path: TopologyPath, atKey = false): Position => pos(offsetOf(doc, path, atKey));
  if (diagnostics.length > 0) return { value: undefined, diagnostics, locate };

  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const message = e instanceof Error ? firstLine(e.message) : "cannot read the document";
    diagnostics.push({ ...error("yaml-bad-alias", [], message), pos: { line: 1, col: 1 } });
  }
  return { value, diagnostics, locate };
}

function firstLine(s: string): string {
  const line = s.split("\n")[0] ?? s;
  return line.replace(/ at line \d+, column \d+:?$/, "").trim();
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
