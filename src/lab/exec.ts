// Running programs for the lab: every call is bounded in time, and a failure
// is an error that names the command and the first lines of what it said.
import { execa } from "execa";
import { firstLines } from "../verify/run.js";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Something the lab could not do; the CLI prints the message and tears the lab down. */
export class LabError extends Error {
  override readonly name = "LabError";
}

const DEFAULT_TIMEOUT_MS = 30_000;

export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: "ignore" }),
    env: { LC_ALL: "C", ...(opts.env ?? {}) },
  });
  return {
    code: r.exitCode ?? (r.timedOut ? 124 : 1),
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    timedOut: r.timedOut === true,
  };
}

/** Runs and returns stdout; a non-zero exit is a LabError. */
export async function must(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    const what = [file, ...args].join(" ");
    throw new LabError(`${what.length > 160 ? what.slice(0, 157) + "..." : what}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}: ${firstLines(r.stderr || r.stdout)}`);
  }
  return r.stdout;
}

export { firstLines };

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Milliseconds since the epoch with sub-millisecond precision; comparable across the lab's processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Polls `test` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(test: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}
