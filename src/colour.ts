// Colour for people at a terminal, never for pipes, files or programs: on
// only when the stream is a TTY, off whenever NO_COLOR is set to anything
// (https://no-color.org) or TERM is dumb. FORCE_COLOR (not "0") turns it on
// without a TTY, as Node and most tools do; NO_COLOR still wins.
// The text is the same either way: colour only ever wraps it.

export interface Stream {
  readonly isTTY?: boolean;
}

export function colourOn(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["TERM"] === "dumb") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "" && force !== "0") return true;
  return stream.isTTY === true;
}

const SGR = { red: 31, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
type Style = keyof typeof SGR;

const wrap = (s: string, style: Style): string => `\u001b[${SGR[style]}m${s}\u001b[0m`;

/**
 * A diagnostic or finding line, painted: the location bold, the severity in
 * its colour, the code dim. Lines of another shape pass unchanged.
 */
export function paintLine(line: string): string {
  const m = /^(\s*)(\S+:\d+:\d+:)( (?:error|warning|note):)?( .*?)( \[[a-z0-9-]+\])$/.exec(line);
  if (!m) return line;
  const [, indent, where, sev, message, code] = m as unknown as [string, string, string, string | undefined, string, string];
  const style: Style = sev === undefined || sev.includes("error") ? "red" : sev.includes("warning") ? "yellow" : "cyan";
  return `${indent}${wrap(where, "bold")}${sev ? wrap(sev, style) : ""}${sev ? message : wrap(message, style)}${wrap(code, "dim")}`;
}

/** Paints every line of a text when colour is on for that stream. */
export function painted(text: string, stream: Stream): string {
  return colourOn(stream) ? text.split("\n").map(paintLine).join("\n") : text;
}
