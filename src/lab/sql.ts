// SQL in the lab, through the real clients inside the hosts: as root over a
// database host's socket, or as the application user from one of its app
// hosts over the network (the only addresses its grants admit). A session is
// one `mariadb` process kept open, so statements can be timed one by one.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "../graph/model.js";
import { LabError, nowMs } from "./exec.js";
import { inHost, nsenterArgs } from "./hostns.js";
import type { HolderRecord } from "./state.js";

/** The application user's login in a root-only file of the lab's work folder (never on a command line). */
export function appCredentials(workDir: string, db: Database, password: string): string {
  const dir = join(workDir, "secrets");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = join(dir, `${db.name}-app.cnf`);
  writeFileSync(p, `[client]\nuser = ${db.user}\npassword = ${password}\n`, { mode: 0o600 });
  return p;
}

export interface SqlTarget {
  readonly holder: HolderRecord;
  /** mariadb client arguments before the statements: who, where. */
  readonly args: readonly string[];
}

export function rootTarget(holder: HolderRecord): SqlTarget {
  return { holder, args: ["--protocol=SOCKET", "--user=root"] };
}

export function appTarget(holder: HolderRecord, credentials: string, db: Database, address: string): SqlTarget {
  return { holder, args: [`--defaults-extra-file=${credentials}`, `--host=${address}`, `--port=${db.port}`, `--database=${db.schema}`] };
}

/** Runs statements; the rows, tab-separated, without column names. */
export async function sql(t: SqlTarget, statements: string, timeoutMs = 30_000): Promise<string[]> {
  const r = await inHost(t.holder, ["mariadb", ...t.args, "--batch", "--skip-column-names", "--connect-timeout=5"], { input: statements, timeoutMs });
  if (r.code !== 0) throw new LabError(`SQL failed: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

const EOT = "hacompile-lab-eot";

/** One open client: each query resolves with its rows and the moment its answer arrived. */
export class SqlSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = "";
  private waiting: { resolve: (v: { rows: string[]; at: number }) => void; reject: (e: Error) => void } | undefined;
  private stderr = "";
  private ended = false;

  constructor(t: SqlTarget) {
    this.child = spawn("nsenter", [...nsenterArgs(t.holder.pid), "mariadb", ...t.args, "--batch", "--skip-column-names", "--unbuffered", "--connect-timeout=5"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout.on("data", (d: Buffer) => this.onData(d.toString("utf8")));
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString("utf8");
    });
    this.child.on("exit", () => {
      this.ended = true;
      this.waiting?.reject(new LabError(`SQL session ended: ${this.stderr.trim().split("\n").slice(-2).join(" | ")}`));
      this.waiting = undefined;
    });
  }

  private onData(s: string): void {
    const at = nowMs();
    this.buf += s;
    const i = this.buf.indexOf(`${EOT}\n`);
    if (i < 0 || !this.waiting) return;
    const rows = this.buf.slice(0, i).split("\n").filter((l) => l !== "");
    this.buf = this.buf.slice(i + EOT.length + 1);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ rows, at });
  }

  /** Sends statements (each ending in ';'); an SQL error ends the session and rejects. */
  query(statements: string, timeoutMs = 30_000): Promise<{ rows: string[]; at: number }> {
    if (this.ended) return Promise.reject(new LabError(`SQL session ended: ${this.stderr.trim()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new LabError(`SQL timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.stdin.write(`${statements}\nSELECT '${EOT}';\n`);
    });
  }

  close(): void {
    if (!this.ended) this.child.stdin.end();
    setTimeout(() => {
      if (!this.ended) this.child.kill("SIGKILL");
    }, 2000).unref();
  }
}
