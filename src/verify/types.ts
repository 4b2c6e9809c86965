// Verification results: one per (tool, file). `hacompile verify` prints them
// and a per-tool summary; any failure (or, under CI, any missing tool) fails.
import type { Graph } from "../graph/model.js";
import type { FileKind } from "../render/types.js";
import type { TlsFiles, TlsPaths, TlsStage } from "./tls.js";

export interface CheckResult {
  /** The checking program: nginx, keepalived, mariadbd, php-fpm, php, hyperdb, shellcheck, ... */
  readonly tool: string;
  /** What was checked, as the user sees it: "<target>/<host>:<path on host>" or an output path. */
  readonly file: string;
  readonly status: "ok" | "fail" | "skipped";
  /** The tool's own message on failure; the reason when skipped. */
  readonly message: string;
  /** What the check ran with that the reader must know (a throwaway certificate): printed once below the results. */
  readonly note?: string;
}

/** One file of a host, as the bundle target's manifest describes it. */
export interface HostFileEntry {
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly kind: FileKind;
  readonly service: string;
  readonly secret: boolean;
}

/** A host's rendered files on disk: bundle/<host>/root mirrors its file system. */
export interface HostTree {
  readonly host: string;
  readonly address: string;
  /** Absolute path of bundle/<host>/root. */
  readonly root: string;
  readonly files: readonly HostFileEntry[];
}

/** What every check gets: the host trees and the graph facts they need. */
export interface VerifyContext {
  readonly outDir: string;
  readonly hosts: readonly HostTree[];
  readonly iface: string;
  readonly prefixLength: number;
  readonly vip: string;
  readonly graph: GraphFacts;
  /** Scripts the targets add beside the host files (install.sh...), relative to outDir. */
  readonly extraScripts: readonly string[];
  /** The load balancers' certificate and key paths, and the operator's files when named. */
  readonly tls?: TlsPaths & { readonly given?: TlsFiles; readonly domain: string };
  /** Set by runChecks while the checks run: the pair nginx loads. */
  readonly tlsStage?: TlsStage;
}

/** The slice of graph.json that checks compare generated files with, in the graph's own types. */
export type GraphFacts = Pick<Graph, "name" | "databases" | "pools">;

export type Check = (ctx: VerifyContext) => Promise<CheckResult[]>;

export function hostLabel(h: HostTree, path: string): string {
  return `${h.host}:${path}`;
}
