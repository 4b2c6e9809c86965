// Running the real tools. Each call is bounded in time; a tool that is not
// installed is reported, not crashed on.
import { execa } from "execa";

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const TIMEOUT_MS = 60_000;

export async function runTool(file: string, args: readonly string[], opts: { input?: string; cwd?: string } = {}): Promise<ToolResult> {
  const r = await execa(file, args, {
    reject: false,
    timeout: TIMEOUT_MS,
    all: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: "ignore" }),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: { LC_ALL: "C" },
  });
  return { code: r.exitCode ?? (r.timedOut ? 124 : 1), stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

const found = new Map<string, boolean>();

/** Whether an executable is on PATH (or an absolute path exists), cached. */
export async function hasTool(name: string): Promise<boolean> {
  let v = found.get(name);
  if (v === undefined) {
    const r = await runTool("sh", ["-c", `command -v "$1" >/dev/null`, "sh", name]);
    v = r.code === 0;
    found.set(name, v);
  }
  return v;
}

/** Trims a tool's output to its useful first lines for a one-line report. */
export function firstLines(s: string, n = 3): string {
  return s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(0, n)
    .join(" | ");
}

/** Maps with at most `limit` calls in flight (the checkers are processes; the machine has few cores). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
