// A small keepalived.conf reader: enough of the grammar to audit a VRRP
// election (vrrp_script weights, vrrp_instance state, priority, router id,
// interface, nopreempt, unicast peers, VIPs, track_script). Hand-written and
// drifted configs are what it is for, so it reads leniently and reports what
// it cannot follow instead of guessing. Pure: text in, values out.
import type { Position } from "../../diagnostics.js";
import type { TrackedCheck, VrrpNode } from "../election.js";
import type { FindingDraft } from "../types.js";

/** One statement: its words, and the block it opens, if any. */
export interface Statement {
  readonly words: readonly string[];
  readonly pos: Position;
  readonly block?: readonly Statement[];
}

interface Token {
  readonly text: string;
  readonly pos: Position;
  /** The first token of its line: a new statement starts here. */
  readonly lineStart: boolean;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    let first = true;
    const re = /"([^"]*)"?|([{}])|([#!].*$)|([^\s{}"]+)/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[3] !== undefined) break;
      const t = m[1] ?? m[2] ?? m[4] ?? "";
      out.push({ text: t, pos: { line: i + 1, col: m.index + 1 }, lineStart: first });
      first = false;
    }
  });
  return out;
}

export interface ParsedTree {
  readonly statements: readonly Statement[];
  readonly problems: readonly FindingDraft[];
}

/** Statements end at a line end or a brace; '{' opens a block that '}' closes. */
export function parseStatements(text: string, file: string): ParsedTree {
  const tokens = tokenize(text);
  const problems: FindingDraft[] = [];
  let i = 0;
  const readBlock = (depth: number): Statement[] => {
    const stmts: Statement[] = [];
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.text === "}") {
        i++;
        if (depth > 0) return stmts;
        problems.push(syntax(file, t.pos, "a '}' closes no block"));
        continue;
      }
      const words: string[] = [];
      const pos = t.pos;
      while (i < tokens.length && tokens[i]!.text !== "{" && tokens[i]!.text !== "}" && (words.length === 0 || !tokens[i]!.lineStart)) {
        words.push(tokens[i]!.text);
        i++;
      }
      if (i < tokens.length && tokens[i]!.text === "{") {
        i++;
        stmts.push({ words, pos, block: readBlock(depth + 1) });
      } else if (words.length > 0) {
        stmts.push({ words, pos });
      }
    }
    if (depth > 0) problems.push(syntax(file, tokens[tokens.length - 1]?.pos ?? { line: 1, col: 1 }, "a block is not closed: '}' missing"));
    return stmts;
  };
  const statements = readBlock(0);
  return { statements, problems };
}

function syntax(file: string, pos: Position, message: string): FindingDraft {
  return {
    code: "keepalived-syntax",
    severity: "error",
    layer: "election",
    message: `${message}, so keepalived would read this file differently from what it looks like`,
    fix: "balance the braces so each block closes where it is meant to",
    file,
    pos,
  };
}

export interface ParsedConfig {
  readonly file: string;
  readonly instances: readonly VrrpNode[];
  readonly problems: readonly FindingDraft[];
}

const keyword = (s: Statement): string => s.words[0] ?? "";
const arg = (s: Statement, n = 1): string | undefined => s.words[n];

function intOf(s: string | undefined): number | undefined {
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** `weight N` inside a vrrp_script or after a track_script entry; keepalived's default is 0. */
function weightIn(words: readonly string[]): number | undefined {
  const i = words.indexOf("weight");
  if (i < 0) return undefined;
  const w = intOf(words[i + 1]);
  // "reverse" makes a failure add and a success subtract; rare enough to read as its negation.
  return w === undefined ? undefined : words[i + 2] === "reverse" ? -w : w;
}

function scriptWeights(stmts: readonly Statement[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of stmts) {
    if (keyword(s) !== "vrrp_script" || !s.block || arg(s) === undefined) continue;
    const w = s.block.find((x) => keyword(x) === "weight");
    out.set(arg(s)!, w ? weightIn(w.words) ?? 0 : 0);
  }
  return out;
}

function normaliseVip(words: readonly string[]): string | undefined {
  const a = words[0];
  if (a === undefined || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(a)) return undefined;
  return a.includes("/") ? a : `${a}/32`;
}

function readInstance(s: Statement, file: string, scripts: Map<string, number>, problems: FindingDraft[]): VrrpNode {
  const body = s.block ?? [];
  const one = (k: string): Statement | undefined => body.find((x) => keyword(x) === k);
  const name = arg(s) ?? "(unnamed)";
  const state = (arg(one("state") ?? { words: [], pos: s.pos }) ?? "BACKUP").toUpperCase() === "MASTER" ? "MASTER" : "BACKUP";
  const tracks: TrackedCheck[] = [];
  for (const t of one("track_script")?.block ?? []) {
    const script = keyword(t);
    const base = scripts.get(script);
    if (base === undefined) {
      problems.push({
        code: "keepalived-unknown-script",
        severity: "error",
        layer: "election",
        message: `vrrp_instance ${name} tracks '${script}', which no vrrp_script defines, so keepalived ignores the check and it never moves the VIP`,
        fix: `define 'vrrp_script ${script} { ... }' or remove it from track_script`,
        file,
        pos: t.pos,
      });
      continue;
    }
    tracks.push({ name: script, weight: weightIn(t.words) ?? base });
  }
  const src = arg(one("unicast_src_ip") ?? { words: [], pos: s.pos });
  return {
    label: `${name} in ${file.slice(file.lastIndexOf("/") + 1)}`,
    origin: { kind: "config", file, pos: s.pos },
    state,
    priority: intOf(arg(one("priority") ?? { words: [], pos: s.pos })) ?? 100,
    routerId: intOf(arg(one("virtual_router_id") ?? { words: [], pos: s.pos })) ?? 0,
    interface: arg(one("interface") ?? { words: [], pos: s.pos }) ?? "",
    nopreempt: one("nopreempt") !== undefined,
    ...(src !== undefined ? { unicastSrc: src } : {}),
    unicastPeers: (one("unicast_peer")?.block ?? []).map((p) => keyword(p)).filter((p) => p !== ""),
    tracks,
    vips: (one("virtual_ipaddress")?.block ?? []).map((v) => normaliseVip(v.words)).filter((v): v is string => v !== undefined),
  };
}

export function parseKeepalived(text: string, file: string): ParsedConfig {
  const tree = parseStatements(text, file);
  const problems: FindingDraft[] = [...tree.problems];
  const scripts = scriptWeights(tree.statements);
  const instances = tree.statements
    .filter((s) => keyword(s) === "vrrp_instance" && s.block !== undefined)
    .map((s) => readInstance(s, file, scripts, problems));
  for (const s of tree.statements.filter((x) => keyword(x) === "include"))
    problems.push({
      code: "keepalived-include",
      severity: "warning",
      layer: "election",
      message: `'include ${arg(s) ?? ""}' is not followed, so instances defined there are not audited`,
      fix: "pass the included file to `hacompile check --keepalived` as well",
      file,
      pos: s.pos,
    });
  return { file, instances, problems };
}
