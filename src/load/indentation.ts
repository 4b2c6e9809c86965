// Indentation mistakes, one diagnostic each. The yaml package reports every
// consequence of a misplaced line: one tab gives a tab error, then "all
// mapping items must start at the same column" for each later sibling,
// implicit-key errors and even duplicate keys. Here the first error's line is
// explained in the user's terms, re-indented the way its neighbours suggest,
// and the text parsed again; errors that vanish were echoes of that mistake.
import type { YAMLError } from "yaml";
import type { Position } from "../diagnostics.js";

/** The yaml package's codes that a badly indented line produces. */
const INDENT_CODES = new Set(["TAB_AS_INDENT", "BAD_INDENT", "BAD_DEDENT", "MULTILINE_IMPLICIT_KEY", "BLOCK_AS_IMPLICIT_KEY"]);

export interface IndentMistake {
  readonly pos: Position;
  readonly message: string;
}

export interface Parsed {
  readonly errors: readonly YAMLError[];
  /** 1-based line of an offset in the text parsed. */
  readonly lineOf: (offset: number) => number;
}

export interface IndentResult<P extends Parsed> {
  readonly mistakes: IndentMistake[];
  /** The text with those lines re-indented, and what parsing it gives. */
  readonly text: string;
  readonly parsed: P;
}

const leading = (line: string): string => /^[ \t]*/.exec(line)![0];
const isContent = (line: string): boolean => !/^\s*(#.*)?$/.test(line);

/** Where a line at `index` most likely belongs, from the nearest content line above. */
function expectedIndent(lines: readonly string[], index: number): { want: number; above: number; nests: boolean } {
  for (let i = index - 1; i >= 0; i--) {
    const prev = lines[i]!;
    if (!isContent(prev)) continue;
    const indent = leading(prev).length;
    // "  - key: value": the item's content starts after the dashes.
    const content = indent + (/^(?:- +)*/.exec(prev.slice(indent))?.[0].length ?? 0);
    const body = prev.replace(/\s+#.*$/, "").trimEnd();
    if (body.endsWith(":")) return { want: content + 2, above: i + 1, nests: true };
    const line = lines[index]!.trimStart();
    const want = content !== indent && !line.startsWith("-") ? content : indent;
    return { want, above: i + 1, nests: false };
  }
  return { want: 0, above: 0, nests: false };
}

function explain(line: string, want: number, above: number, nests: boolean): string {
  const ws = leading(line);
  const where = above === 0 ? "" : nests ? ` to nest it under line ${above}` : ` to line it up with line ${above}`;
  if (ws.includes("\t")) return `this line is indented with a tab; YAML indents with spaces only (${want} here${where})`;
  return `this line is indented ${ws.length} space(s); ${want} would be expected${where}`;
}

/**
 * Explains the first indentation error while there is one, at most `max`
 * times. `parse` parses a text; it is called once per mistake found. The
 * first indentation error, not the first error: a misplaced line can make an
 * earlier key look duplicated.
 */
export function indentationMistakes<P extends Parsed>(text: string, first: P, parse: (text: string) => P | undefined, max: number): IndentResult<P> {
  const mistakes: IndentMistake[] = [];
  let current = text;
  let parsed = first;
  while (mistakes.length < max) {
    // "Flow map in block collection must be sufficiently indented": an unclosed { or [, not a line's indentation.
    const earliest = parsed.errors.filter((e) => INDENT_CODES.has(e.code) && !e.message.startsWith("Flow")).sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (earliest === undefined) break;
    const lines = current.split("\n");
    const index = parsed.lineOf(earliest.pos[0]) - 1;
    const line = lines[index];
    if (line === undefined) break;
    const { want, above, nests } = expectedIndent(lines, index);
    const repaired = " ".repeat(want) + line.slice(leading(line).length);
    // Nothing to re-indent: the mistake is of another kind; report as it is.
    if (repaired === line) break;
    mistakes.push({ pos: { line: index + 1, col: 1 }, message: explain(line, want, above, nests) });
    lines[index] = repaired;
    const next = parse(lines.join("\n"));
    // A repair that fixes nothing was a wrong guess: report what yaml says instead.
    if (next === undefined || next.errors.length >= parsed.errors.length) {
      mistakes.pop();
      break;
    }
    current = lines.join("\n");
    parsed = next;
  }
  return { mistakes, text: current, parsed };
}
