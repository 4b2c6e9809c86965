// One host interface for both labs: what a scenario may do to a host. The
// namespace lab's hosts are namespaces under a supervisor; the machines
// lab's are booted machines. A scenario that speaks only through this
// interface runs on either.
import type { Graph } from "../graph/model.js";
import type { HostPlan } from "../render/types.js";
import type { Secrets } from "../secrets.js";
import type { RunResult } from "./exec.js";
import type { Outcome } from "./scenario.js";

export interface LabHost {
  readonly name: string;
  readonly address: string;
  /** `sh -c cmd` on the host, as root, bounded. */
  sh(cmd: string, timeoutMs?: number, input?: string): Promise<RunResult>;
  /**
   * Sends `signal` to the main process of the host's unit: KILL is a crash
   * (the unit's restart policy follows), TERM a clean exit that leaves it down.
   */
  kill(unit: string, signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts the unit again (after a TERM left it down). */
  start(unit: string): Promise<void>;
  /**
   * When (Date.now() clock) the unit's main process ran again after the last
   * kill, as its restart policy brought it back, or null within `timeoutMs`.
   */
  restartedAfterKill(unit: string, timeoutMs: number): Promise<number | null>;
  /** Pulls the host's cable out of the switch, or plugs it back. */
  link(up: boolean): Promise<void>;
  /** Graceful power-off, returning once the host is off. */
  powerOff(): Promise<void>;
  /** Power cut: no shutdown at all. */
  powerCut(): Promise<void>;
  /** Powers the host on; resolves once its init is running (not its services). */
  boot(): Promise<void>;
  /** Whether the host is powered on. */
  isOn(): boolean;
}

/** What every scenario gets, on either lab. */
export interface HostLab {
  readonly kind: "namespaces" | "machines";
  readonly graph: Graph;
  readonly secrets: Secrets;
  /** Each host's services (their units and kinds), as the targets package them. */
  readonly plans: readonly HostPlan[];
  /** The client namespace (the internet) for HTTP through the VIP. */
  readonly layout: { readonly client: string };
  readonly hosts: ReadonlyMap<string, LabHost>;
  readonly log: (line: string) => void;
}

export function hostOf(lab: HostLab, name: string): LabHost {
  const h = lab.hosts.get(name);
  if (!h) throw new Error(`no host ${name} in the lab`);
  return h;
}

/** A scenario written against the host interface only: it runs on either lab. */
export interface HostScenario {
  readonly name: string;
  readonly title: string;
  readonly run: (lab: HostLab) => Promise<Outcome>;
}

/** The unit of a service a host's plan names (nginx, php-fpm, keepalived...). */
export function unitOf(lab: HostLab, host: string, service: string): string {
  const s = lab.plans.find((p) => p.host.name === host)?.services.find((x) => x.name === service);
  if (!s) throw new Error(`${host} runs no ${service}`);
  return s.unit;
}
