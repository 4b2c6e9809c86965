// The bundle target: per host a tree mirroring the host's file system, a
// manifest, and an idempotent install.sh, for people who copy files with
// their own tooling or have no cloud-init. Same files as the systemd target
// (hacompile.target and the drop-ins included), secrets too: a bundle is meant
// to be copied to its host over a private channel (scp, rsync over SSH).
import { generatedBy } from "../../src/render/common/header.js";
import { createHash } from "node:crypto";
import type { Graph } from "../../src/graph/model.js";
import { templateRenderer } from "../../src/render/common/ejs.js";
import { sh } from "../../src/render/common/quote.js";
import type { HostFile, HostPlan } from "../../src/render/types.js";
import { hostUnitFiles, mergeFiles, octal, startUnitOf, TARGET_UNIT, unitsToEnable } from "../shared/host-units.js";
import { onChangeOf, type OnChange } from "./on-change.js";
import type { OutFile, Target } from "../types.js";

/** This target's own templates. */
const renderTemplate = templateRenderer("targets/bundle/templates");

/**
 * Where install.sh records what it installed (sha256, unit, action, path per
 * line), so that the next bundle's install.sh can remove the files that
 * dropped out: only those, and only while they are unchanged.
 */
export const INSTALLED_STATE = "/var/lib/hacompile/installed-files";

export function sha256(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

export function bundleFiles(graph: Graph, plan: HostPlan): HostFile[] {
  return mergeFiles(plan, hostUnitFiles(graph, plan));
}

/** Builder-side mode: the plan's, except that a secret stays owner-only until install.sh sets its real mode. */
function outMode(f: HostFile): number {
  return f.secret ? 0o600 : f.mode;
}

interface ManifestFile {
  path: string;
  mode: string;
  owner: string;
  group: string;
  sha256: string;
  /** The plan's name for what reads the file. */
  service: string;
  /** What kind of file it is: `hacompile verify` picks its checker by this. */
  kind: string;
  /** The unit install.sh acts on when the file changes or drops out; null when none runs here. */
  unit: string | null;
  /** What install.sh does to that unit, when it is running: reload (the service re-reads the file) or restart. */
  on_change: OnChange | null;
  secret: boolean;
}

/** The host's files with their sha256, computed once for the manifest and install.sh. */
interface Hashed {
  readonly file: HostFile;
  readonly sha256: string;
}

function manifest(graph: Graph, plan: HostPlan, hashed: readonly Hashed[]): string {
  const entries: ManifestFile[] = hashed.map(({ file: f, sha256 }) => {
    const change = onChangeOf(plan, f);
    return {
      path: f.path,
      mode: octal(f.mode),
      owner: f.owner,
      group: f.group,
      sha256,
      service: f.service,
      kind: f.kind,
      unit: change?.unit ?? null,
      on_change: change?.action ?? null,
      secret: f.secret === true,
    };
  });
  const doc = {
    generator: "hacompile",
    topology: graph.name,
    host: plan.host.name,
    address: plan.host.address,
    target: TARGET_UNIT,
    packages: plan.packages,
    users: plan.users.map((u) => ({ name: u.name, group: u.group, home: u.home })),
    // Start order: dependencies first.
    services: plan.services.map((s) => ({
      name: s.name,
      unit: s.unit,
      packaged: s.packaged,
      kind: s.kind,
      after: s.after,
      ...(s.schedule !== undefined ? { schedule: s.schedule, timer: startUnitOf(s) } : {}),
    })),
    files: entries,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

function installScript(graph: Graph, plan: HostPlan, hashed: readonly Hashed[], unitFiles: readonly HostFile[]): string {
  return renderTemplate("install.sh.ejs", {
    header: generatedBy(graph),
    host: plan.host.name,
    packages: plan.packages.map(sh),
    users: plan.users.map((u) => [u.name, u.group, u.home].map(sh).join(" ")),
    files: hashed.map(({ file: f, sha256 }) => {
      const change = onChangeOf(plan, f);
      return [octal(f.mode), f.owner, f.group, sha256, change?.unit ?? "-", change?.action ?? "-", f.path].map(sh).join(" ");
    }),
    state: INSTALLED_STATE,
    enable: unitsToEnable(plan, unitFiles).map(sh),
    services: plan.services.map((s) => sh(startUnitOf(s))),
  });
}

const README = [
  "hacompile bundle target: one folder per host.",
  "",
  "  <host>/root/...        the host's files at their paths (secrets are 0600 here;",
  "                         install.sh gives every file its mode and owner)",
  "  <host>/manifest.json   path, mode, owner, group, sha256, the unit to reload or restart",
  "                         when it changes, secret flag per file; packages, users,",
  "                         services in start order",
  "  <host>/install.sh      run as root on the host: idempotent, prints \"no changes\" when",
  "                         nothing differs. --root DIR installs the files under DIR only.",
  "",
  "The folder holds the host's secrets: copy it over a private channel, e.g.",
  "  rsync -a --chmod=go-rwx bundle/<host>/ root@<address>:/root/hacompile/ && ssh root@<address> /root/hacompile/install.sh",
  "",
].join("\n");

function hostOut(graph: Graph, plan: HostPlan): OutFile[] {
  const h = plan.host.name;
  const unitFiles = hostUnitFiles(graph, plan);
  const files = mergeFiles(plan, unitFiles);
  const hashed = files.map((f) => ({ file: f, sha256: sha256(f.content) }));
  return [
    ...files.map((f) => ({ path: `${h}/root${f.path}`, content: f.content, mode: outMode(f) })),
    { path: `${h}/manifest.json`, content: manifest(graph, plan, hashed), mode: 0o644 },
    { path: `${h}/install.sh`, content: installScript(graph, plan, hashed, unitFiles), mode: 0o755 },
  ];
}

export const bundle: Target = {
  name: "bundle",
  description: "per-host file tree, manifest.json and an idempotent install.sh",
  emit: (graph, plans) => ({
    files: [{ path: "README.txt", content: README, mode: 0o644 }, ...plans.flatMap((p) => hostOut(graph, p))],
    diagnostics: [],
  }),
};
