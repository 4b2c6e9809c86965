// systemd unit files are structured: a serializer, not a template. Values go
// through quote.unit() so a newline or a stray specifier cannot slip in.
import { unit } from "./quote.js";

export type UnitEntry = readonly [key: string, value: string | number | boolean];
export type UnitSection = readonly [name: string, entries: readonly UnitEntry[]];

/** `comment` lines become `#` lines at the top (why this unit exists). */
export function unitFile(sections: readonly UnitSection[], comment?: string): string {
  const out: string[] = [];
  if (comment) for (const line of comment.split("\n")) out.push(`# ${line}`.trimEnd());
  for (const [name, entries] of sections) {
    if (out.length > 0) out.push("");
    out.push(`[${name}]`);
    for (const [k, v] of entries) out.push(`${k}=${typeof v === "boolean" ? (v ? "yes" : "no") : unit(String(v))}`);
  }
  return out.join("\n") + "\n";
}
