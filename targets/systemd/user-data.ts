// One #cloud-config per host. cloud-init's own module order does the
// sequencing: root-owned files (init stage) -> users -> packages (final stage)
// -> deferred files (owned by users the packages create) -> runcmd. A
// policy-rc.d written first keeps the package installs from starting any
// daemon, so every service starts once, from runcmd, through hacompile.target,
// in the order the units declare, with every file already in place.
import { generatedBy } from "../../src/render/common/header.js";
import { Document, isSeq } from "yaml";
import type { Graph } from "../../src/graph/model.js";
import { file, type HostFile, type HostPlan, type SystemUser } from "../../src/render/types.js";
import { hostUnitFiles, mergeFiles, octal, TARGET_UNIT, unitsToEnable } from "../shared/host-units.js";
import { fastYaml } from "../shared/yaml.js";
import { METADATA_UNIT, metadataBlockFiles, secretAssertions } from "./secrets.js";

export interface SystemdOptions {
  /** Put secret files into user-data (and block non-root access to the metadata service). */
  readonly inlineSecrets: boolean;
}

export const POLICY_RC_D = "/usr/sbin/policy-rc.d";
export const NOLOGIN = "/usr/sbin/nologin";

function policyRcD(graph: Graph): HostFile {
  const body = [
    "#!/bin/sh",
    `# ${generatedBy(graph)}`,
    "# First boot only: package installs must not start daemons with half of their",
    `# files; runcmd deletes this file and starts ${TARGET_UNIT}. 101 = action forbidden.`,
    "exit 101",
    "",
  ].join("\n");
  return file(POLICY_RC_D, body, "shell", "hacompile", { mode: 0o755 });
}

function extraFiles(graph: Graph, plan: HostPlan, opts: SystemdOptions): HostFile[] {
  return [
    policyRcD(graph),
    ...hostUnitFiles(graph, plan, opts.inlineSecrets ? [METADATA_UNIT] : []),
    ...(opts.inlineSecrets ? metadataBlockFiles(graph) : secretAssertions(graph, plan)),
  ];
}

/** Everything the host's user-data writes, in path order. */
export function userDataFiles(graph: Graph, plan: HostPlan, opts: SystemdOptions): HostFile[] {
  return mergeFiles(plan, extraFiles(graph, plan, opts)).filter((f) => opts.inlineSecrets || !f.secret);
}

/** Files owned by anyone but root are written after the packages created their owners. */
export function isDeferred(f: HostFile): boolean {
  return f.owner !== "root" || f.group !== "root";
}

const NOT_YAML_TEXT = /[^\t\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/u;
/** The same without the u flag (several times faster on long text); it also matches valid surrogate pairs, so a match is confirmed. */
const MAY_NOT_BE_YAML_TEXT = /[^\t\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/;

/** Text YAML carries as is; anything else (CR, control characters) goes base64. */
function needsBase64(content: string): boolean {
  return MAY_NOT_BE_YAML_TEXT.test(content) && NOT_YAML_TEXT.test(content);
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  defer?: true;
  encoding?: "b64";
  content: string;
}

function writeFile(f: HostFile): WriteFile {
  const b64 = needsBase64(f.content);
  return {
    path: f.path,
    permissions: octal(f.mode),
    owner: `${f.owner}:${f.group}`,
    ...(isDeferred(f) ? { defer: true as const } : {}),
    ...(b64 ? { encoding: "b64" as const } : {}),
    content: b64 ? Buffer.from(f.content, "utf8").toString("base64") : f.content,
  };
}

interface CloudUser {
  name: string;
  system: true;
  primary_group: string;
  homedir: string;
  shell: string;
}

function cloudUser(u: SystemUser): CloudUser {
  // cloud-init creates a primary group only alongside `groups`: the top-level `groups` key creates them first.
  return { name: u.name, system: true, primary_group: u.group, homedir: u.home, shell: NOLOGIN };
}

function packagesOf(plan: HostPlan, opts: SystemdOptions): string[] {
  const set = new Set(plan.packages);
  if (opts.inlineSecrets) set.add("nftables");
  return [...set].sort();
}

function runcmd(enable: readonly string[]): string[][] {
  return [
    ["rm", "-f", POLICY_RC_D],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", ...enable],
    // Blocks until every unit has started or failed: cloud-init status --wait then means "stack started".
    ["systemctl", "start", TARGET_UNIT],
  ];
}

/** The cloud-config as a plain object, keys in the order they are written. */
export function cloudConfig(graph: Graph, plan: HostPlan, opts: SystemdOptions): Record<string, unknown> {
  const files = userDataFiles(graph, plan, opts);
  const ordered = [...files.filter((f) => !isDeferred(f)), ...files.filter(isDeferred)];
  const groups = [...new Set(plan.users.map((u) => u.group))].sort();
  const packages = packagesOf(plan, opts);
  return {
    package_update: true,
    ...(packages.length > 0 ? { packages } : {}),
    ...(groups.length > 0 ? { groups } : {}),
    // "default" keeps the image's login user: without it cloud-init creates only ours.
    users: ["default", ...plan.users.map(cloudUser)],
    write_files: ordered.map(writeFile),
    runcmd: runcmd(unitsToEnable(plan, extraFiles(graph, plan, opts))),
  };
}

function secretNote(plan: HostPlan, opts: SystemdOptions): string[] {
  if (!plan.files.some((f) => f.secret)) return [];
  return opts.inlineSecrets
    ? ["# Holds this host's secrets (--inline-secrets): the host blocks non-root access to the metadata service."]
    : ["# Holds none of this host's secrets: SECRETS.txt beside this file says how they reach the host."];
}

/** YAML 1.1 rules (what cloud-init's PyYAML reads), so "yes", "on" and 0644 come out quoted. */
export function userData(graph: Graph, plan: HostPlan, opts: SystemdOptions): string {
  const config = cloudConfig(graph, plan, opts);
  const runcmd = Array.isArray(config["runcmd"]) ? (config["runcmd"] as unknown[]) : [];
  const body = fastYaml(config, { flow: new Set(runcmd), aliasDuplicateObjects: true }) ?? yamlDocument(config);
  const header = [
    "#cloud-config",
    `# ${generatedBy(graph)}`,
    `# Host ${plan.host.name} (${plan.host.address}). Services start through ${TARGET_UNIT}.`,
    ...secretNote(plan, opts),
  ];
  return header.join("\n") + "\n" + body;
}

/** The same document through yaml itself, for what fastYaml leaves to it. */
function yamlDocument(config: Record<string, unknown>): string {
  const doc = new Document(config, { version: "1.1" });
  const rc = doc.get("runcmd", true);
  if (isSeq(rc)) for (const item of rc.items) if (isSeq(item)) item.flow = true;
  return doc.toString({ lineWidth: 0, blockQuote: "literal" });
}
