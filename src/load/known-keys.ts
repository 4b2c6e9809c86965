// The keys a mapping may hold at a topology path, read from the zod schema
// itself, so "did you mean" suggestions never drift from the language.
import type { z } from "zod";
import type { TopologyPath } from "../diagnostics.js";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType, value: unknown): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if ((d.type === "default" || d.type === "optional" || d.type === "nullable" || d.type === "prefault") && d.innerType) cur = d.innerType;
    else if (d.type === "pipe" && d.in) cur = d.in;
    else if (d.type === "union" && d.options) {
      // A discriminated union: pick the branch whose `mode` matches the value.
      const mode = value !== null && typeof value === "object" ? (value as Record<string, unknown>)["mode"] : undefined;
      const match = d.options.find((o) => {
        const shape = defOf(o).shape;
        const lit = shape?.["mode"] ? defOf(shape["mode"]) : undefined;
        return (lit as { values?: unknown[] } | undefined)?.values?.includes(mode);
      });
      cur = match ?? d.options[0]!;
    } else return cur;
  }
  return cur;
}

export function knownKeysAt(root: z.ZodType, input: unknown, path: TopologyPath): string[] {
  let s: z.ZodType | undefined = root;
  let v: unknown = input;
  for (const seg of path) {
    if (!s) return [];
    const d = defOf(unwrap(s, v));
    if (d.type === "object") s = d.shape && Object.hasOwn(d.shape, seg) ? d.shape[String(seg)] : undefined;
    else if (d.type === "record") s = d.valueType;
    else if (d.type === "array") s = d.element;
    else return [];
    v = v !== null && typeof v === "object" && Object.hasOwn(v, seg) ? (v as Record<string | number, unknown>)[seg] : undefined;
  }
  if (!s) return [];
  const d = defOf(unwrap(s, v));
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}
