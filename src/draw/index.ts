// `hacompile graph`: the topology as a picture, with its single points marked.
import { checkGraph } from "../check/index.js";
import type { Finding } from "../check/types.js";
import type { Graph } from "../graph/model.js";
import { toDot } from "./dot.js";
import { toMermaid } from "./mermaid.js";
import { picture } from "./picture.js";
import { dotToSvg } from "./svg.js";

export const FORMATS = ["mermaid", "dot", "svg"] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** Findings default to the graph's own check, so what is red is what `check` reports. */
export function drawText(graph: Graph, format: "mermaid" | "dot", findings: readonly Finding[] = checkGraph(graph, "")): string {
  const p = picture(graph, findings);
  return format === "mermaid" ? toMermaid(p) : toDot(p);
}

export async function draw(graph: Graph, format: Format, findings: readonly Finding[] = checkGraph(graph, "")): Promise<string> {
  if (format === "svg") return dotToSvg(drawText(graph, "dot", findings));
  return drawText(graph, format, findings);
}
