// The two faces of the key reference: `hacompile explain` for one key, and
// docs/topology-reference.md for all of them (npm run docs:reference).
import type { KeyDoc } from "./keys.js";

function facts(k: KeyDoc): [string, string][] {
  const out: [string, string][] = [["type", k.type]];
  out.push(["required", k.required ? "yes" : "no"]);
  if (k.default !== undefined) out.push(["default", k.default]);
  if (k.bounds.length > 0) out.push(["bounds", k.bounds.join(", ")]);
  if (k.only !== undefined) out.push(["only with", `failover mode ${k.only}`]);
  if (k.keys.length > 0) out.push(["keys", k.keys.join(", ")]);
  return out;
}

/** `hacompile explain <key>`. */
export function explainText(k: KeyDoc): string {
  const rows = facts(k).map(([name, value]) => `  ${`${name}:`.padEnd(11)}${value}`);
  return [k.path, ...rows, "", `  ${k.description ?? "(no description)"}`, ""].join("\n");
}

/** Markdown table cells may not hold a bare '|'. */
const cell = (s: string): string => s.replace(/\|/g, "\\|");

/** docs/topology-reference.md. */
export function referenceMarkdown(keys: readonly KeyDoc[]): string {
  const out = [
    "# Topology reference",
    "",
    "<!-- Generated from schema/topology.ts by `npm run docs:reference`; a test fails when it is stale. Do not edit. -->",
    "",
    "Every key of `topology.yaml`. `<name>` is a name you choose (a DNS label); `[]` is an item of a list.",
    "`hacompile explain <key>` prints the same for one key (`hacompile explain loadbalancer.failover.advert_interval`).",
    "",
  ];
  for (const k of keys) {
    out.push(`## \`${k.path}\``, "", k.description ?? "(no description)", "");
    out.push("| | |", "|---|---|");
    for (const [name, value] of facts(k)) out.push(`| ${name} | ${cell(value)} |`);
    out.push("");
  }
  return out.join("\n");
}
