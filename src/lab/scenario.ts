// Scenarios and their report: a table (scenario, result, figures), the
// reasons of each failure, and the figures as JSON. Pure formatting.
import type { Graph } from "../graph/model.js";
import type { Lab } from "./up.js";

export type Figure = number | string | boolean | null;
export type Figures = Record<string, Figure>;

export interface Outcome {
  readonly figures: Figures;
  /** Empty when the scenario passed; each entry says which goal was missed and by how much. */
  readonly failures: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** What is broken and what must hold, one line. */
  readonly title: string;
  readonly run: (lab: Lab) => Promise<Outcome>;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly result: "pass" | "fail" | "skip";
  readonly seconds: number;
  readonly figures: Figures;
  readonly failures: readonly string[];
}

/** The scenarios a topology has no part for, with the reason (for wordpress-ha: none). */
export interface Skipped {
  readonly name: string;
  readonly reason: string;
}

export interface LabReport {
  readonly topology: string;
  readonly cores: number;
  readonly seconds: { readonly up: number; readonly scenarios: number; readonly down: number; readonly total: number };
  readonly scenarios: readonly ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
}

function figureText(v: Figure): string {
  if (v === null) return "-";
  if (typeof v === "number") return String(v);
  return String(v);
}

export function figuresText(f: Figures): string {
  return Object.entries(f)
    .map(([k, v]) => `${k}=${figureText(v)}`)
    .join(", ");
}

/** The table people read; the last line is the one CI reads. */
export function formatReport(r: LabReport): string[] {
  const nameW = Math.max(8, ...r.scenarios.map((s) => s.name.length));
  const lines = [`${"scenario".padEnd(nameW)}  result  figures`];
  for (const s of r.scenarios) lines.push(`${s.name.padEnd(nameW)}  ${s.result.padEnd(6)}  ${figuresText(s.figures)}`);
  const failed = r.scenarios.filter((s) => s.failures.length > 0);
  if (failed.length > 0) {
    lines.push("");
    for (const s of failed) for (const f of s.failures) lines.push(`${s.name}: ${f}`);
  }
  lines.push("");
  lines.push(`lab ${r.topology} on ${r.cores} cores: up ${r.seconds.up} s, scenarios ${r.seconds.scenarios} s, down ${r.seconds.down} s, total ${r.seconds.total} s`);
  lines.push(`${r.passed} passed, ${r.failed} failed`);
  return lines;
}

/** Counts: a skipped scenario counts as failed, since a skip hides a missing check. */
export function tally(results: readonly ScenarioResult[]): { passed: number; failed: number } {
  const passed = results.filter((s) => s.result === "pass").length;
  return { passed, failed: results.length - passed };
}

export type ScenarioFactory = (graph: Graph) => { scenarios: Scenario[]; skipped: Skipped[] };
