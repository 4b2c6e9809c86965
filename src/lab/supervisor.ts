// A small supervisor: starts each service's foreground command inside its
// host's namespaces, tracks the PIDs, kills and restarts them for the
// scenarios, and applies the unit's restart policy when a daemon dies the
// way systemd would (Restart=, RestartSec=). A daemon is started in a session
// of its own, so its process group stands for the unit's cgroup: killing the
// group kills nginx's workers and keepalived's children with it.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ServiceSpec } from "../render/types.js";
import { LabError, nowMs, run, sleep, waitFor, type RunResult } from "./exec.js";
import { nsenterArgs } from "./hostns.js";
import { saveState, type HolderRecord, type LabState } from "./state.js";
import { restarts, type Ending, type RestartPolicy } from "./units.js";

interface Running {
  readonly host: string;
  readonly spec: ServiceSpec;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Set by stop() and kill(): the end is wanted, no restart. */
  stopping: boolean;
  readonly exited: Promise<Ending>;
}

export interface RestartEvent {
  readonly host: string;
  readonly service: string;
  /** When the supervisor saw the main process end, epoch ms. */
  readonly endedAt: number;
  readonly ending: Ending;
  /** When it was started again; undefined when the policy says no. */
  readonly restartedAt: number | undefined;
  readonly policy: RestartPolicy;
}

/** Processes (zombies included) whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) out.push(Number(e));
    } catch {
      // Gone while reading.
    }
  }
  return out;
}

/** Whether a PID exists (a zombie counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

export class Supervisor {
  private readonly running = new Map<string, Running>();
  readonly events: RestartEvent[] = [];
  /** Whether dead daemons are restarted per their policy (only while this process runs the lab). */
  watch = false;

  constructor(
    private readonly workDir: string,
    private readonly state: LabState,
    private readonly holders: ReadonlyMap<string, HolderRecord>,
    private readonly policies: ReadonlyMap<string, RestartPolicy>,
  ) {}

  private key(host: string, service: string): string {
    return `${host}/${service}`;
  }

  private holder(host: string): HolderRecord {
    const h = this.holders.get(host);
    if (!h) throw new LabError(`no lab host ${host}`);
    return h;
  }

  logPath(host: string, service: string): string {
    return join(this.workDir, "logs", host, `${service}.log`);
  }

  private openLog(host: string, service: string, banner: string): number {
    mkdirSync(join(this.workDir, "logs", host), { recursive: true });
    const fd = openSync(this.logPath(host, service), "a");
    writeSync(fd, `--- hacompile lab ${new Date().toISOString()}: ${banner}\n`);
    return fd;
  }

  policy(host: string, service: string): RestartPolicy {
    return this.policies.get(this.key(host, service)) ?? { restart: "no", restartSec: 0.1 };
  }

  /** Starts a daemon; resolves once it has stayed up for `settleMs`. */
  async start(host: string, spec: ServiceSpec, settleMs = 300): Promise<number> {
    const fd = this.openLog(host, spec.name, `start ${spec.command.join(" ")}`);
    let child: ChildProcess;
    try {
      child = spawn("nsenter", [...nsenterArgs(this.holder(host).pid), ...spec.command], { detached: true, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new LabError(`${host}: could not start ${spec.name}`);
    child.unref();
    const exited = new Promise<Ending>((res) => child.once("exit", (code, signal) => res(signal !== null ? { signal } : { code: code ?? 0 })));
    const r: Running = { host, spec, pid, child, stopping: false, exited };
    this.running.set(this.key(host, spec.name), r);
    this.state.daemons = [...this.state.daemons.filter((d) => !(d.host === host && d.service === spec.name)), { host, service: spec.name, pid }];
    saveState(this.workDir, this.state);
    void exited.then((ending) => this.onExit(r, ending));
    const early = await Promise.race([exited.then((e) => e), sleep(settleMs).then(() => undefined)]);
    if (early !== undefined) {
      throw new LabError(`${host}: ${spec.name} ended at once (${"code" in early ? `exit ${early.code}` : early.signal}); see ${this.logPath(host, spec.name)}`);
    }
    return pid;
  }

  private async onExit(r: Running, ending: Ending): Promise<void> {
    const endedAt = nowMs();
    if (this.running.get(this.key(r.host, r.spec.name)) !== r) return;
    // The rest of the unit goes with its main process (systemd's KillMode=control-group).
    this.signalGroup(r.pid, "SIGKILL");
    const policy = this.policy(r.host, r.spec.name);
    if (r.stopping || !this.watch || !restarts(policy, ending)) {
      if (!r.stopping && this.watch) this.events.push({ host: r.host, service: r.spec.name, endedAt, ending, restartedAt: undefined, policy });
      return;
    }
    await sleep(policy.restartSec * 1000);
    // systemd reaps the whole unit before it starts it again. Here the unit's
    // orphans go to this machine's init, which may reap them late, and a
    // zombie's PID in a pid file makes keepalived refuse to start ("daemon is
    // already running"): wait until the old group is gone.
    await waitFor(() => groupMembers(r.pid).length === 0, 10_000, 20);
    if (!this.watch || this.running.get(this.key(r.host, r.spec.name)) !== r) return;
    let restartedAt: number | undefined;
    try {
      await this.start(r.host, r.spec, 0);
      restartedAt = nowMs();
    } catch {
      restartedAt = undefined;
    }
    this.events.push({ host: r.host, service: r.spec.name, endedAt, ending, restartedAt, policy });
  }

  private signalGroup(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  }

  /** kill -9 of the whole unit, as a crash would; the restart policy decides what follows. */
  async crash(host: string, service: string): Promise<void> {
    const r = this.running.get(this.key(host, service));
    if (!r) throw new LabError(`${host}: ${service} is not running under the lab`);
    this.signalGroup(r.pid, "SIGKILL");
    await Promise.race([r.exited, sleep(5000)]);
  }

  /** kill -9 of the whole unit, kept down (a crash the unit cannot recover from): no restart. */
  async kill(host: string, service: string): Promise<void> {
    const r = this.running.get(this.key(host, service));
    if (!r) throw new LabError(`${host}: ${service} is not running under the lab`);
    r.stopping = true;
    this.signalGroup(r.pid, "SIGKILL");
    await Promise.race([r.exited, sleep(5000)]);
    await waitFor(() => groupMembers(r.pid).length === 0, 10_000, 20);
    this.running.delete(this.key(host, service));
  }

  /** Stops a daemon like `systemctl stop`: TERM, then KILL after 10 s; no restart. */
  async stop(host: string, service: string): Promise<void> {
    const r = this.running.get(this.key(host, service));
    if (!r) return;
    r.stopping = true;
    this.signalGroup(r.pid, "SIGTERM");
    const ended = await Promise.race([r.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!ended) {
      this.signalGroup(r.pid, "SIGKILL");
      await Promise.race([r.exited, sleep(5000)]);
    }
    await waitFor(() => groupMembers(r.pid).length === 0, 10_000, 20);
    this.running.delete(this.key(host, service));
  }

  /** Starts a service again that stop() or a crash without restart left down. */
  async restart(host: string, spec: ServiceSpec): Promise<number> {
    const r = this.running.get(this.key(host, spec.name));
    if (r && alive(r.pid)) await this.stop(host, spec.name);
    this.running.delete(this.key(host, spec.name));
    return this.start(host, spec);
  }

  /** Waits until the policy restarted `service` after `since`; the event, or undefined. */
  async restartAfter(host: string, service: string, since: number, timeoutMs: number): Promise<RestartEvent | undefined> {
    let ev: RestartEvent | undefined;
    await waitFor(() => {
      ev = this.events.find((e) => e.host === host && e.service === service && e.endedAt >= since);
      return ev !== undefined;
    }, timeoutMs, 20);
    return ev;
  }

  /** Runs a oneshot to completion, output to its log. */
  async oneshot(host: string, spec: ServiceSpec, timeoutMs: number): Promise<RunResult> {
    const fd = this.openLog(host, spec.name, `run ${spec.command.join(" ")}`);
    closeSync(fd);
    // The log's path is the same inside the host: the lab's work folder is mounted at its own path there.
    return run("nsenter", [...nsenterArgs(this.holder(host).pid), "sh", "-c", '"$@" >>"$0" 2>&1', this.logPath(host, spec.name), ...spec.command], { timeoutMs });
  }

  /** Ends supervision: no more restarts; the processes are left to the teardown. */
  release(): void {
    this.watch = false;
    for (const r of this.running.values()) r.child.removeAllListeners();
  }
}
