// Secrets and cloud user-data. Any local user of a cloud VM can read its
// user-data from the metadata service (169.254.169.254), so by default secret
// files stay out of it: they are emitted beside it with the commands that copy
// them to the host, and the units that read them check that they exist first,
// so a host without them fails visibly (systemctl --failed, naming the file
// and its step in SECRETS.txt) instead of running half-configured. With inlineSecrets they go into user-data, and the host
// gets a firewall table that keeps every non-root process away from the
// metadata service, loaded at every boot.
import { generatedBy } from "../../src/render/common/header.js";
import type { Graph } from "../../src/graph/model.js";
import { templateRenderer } from "../../src/render/common/ejs.js";
import { nftablesDropIn, nftablesTies } from "../../src/render/firewall/firewall.js";
import { sh } from "../../src/render/common/quote.js";
import { unitFile } from "../../src/render/common/systemd-unit.js";
import { file, type HostFile, type HostPlan } from "../../src/render/types.js";
import { HEALTH_SCRIPT } from "../shared/health.js";
import { dropInPath, octal, TARGET_UNIT, unitPath } from "../shared/host-units.js";
import type { OutFile } from "../types.js";

/** This target's own templates. */
const renderTemplate = templateRenderer("targets/systemd/templates");

export const SECRETS_DROP_IN = "hacompile-secrets.conf";
export const METADATA_UNIT = "hacompile-metadata-block.service";
export const METADATA_NFT = "/etc/hacompile/metadata-block.nft";
const METADATA_TABLE = "hacompile_metadata";
/** The address every major cloud serves metadata on, and AWS's IPv6 one. */
const METADATA_V4 = "169.254.169.254";
const METADATA_V6 = "fd00:ec2::254";

export const NEED_SECRETS_SCRIPT = "/usr/local/sbin/hacompile-need-secrets";

/** The secret files of a host in SECRETS.txt's order, numbered from 1: the steps that copy them. */
export function secretSteps(plan: HostPlan): Map<string, number> {
  return new Map(plan.files.filter((f) => f.secret).map((f, i) => [f.path, i + 1]));
}

function needSecretsScript(graph: Graph): HostFile {
  const name = NEED_SECRETS_SCRIPT.slice(NEED_SECRETS_SCRIPT.lastIndexOf("/") + 1);
  const content = renderTemplate("need-secrets.sh.ejs", { header: generatedBy(graph), name });
  return file(NEED_SECRETS_SCRIPT, content, "shell", "hacompile", { mode: 0o755 });
}

/**
 * One drop-in per unit that reads a secret file, and the script it runs.
 * Not AssertPathExists=: a failed assertion leaves the unit inactive with
 * Result=success, so `systemctl --failed` stayed empty on booted machines.
 * A failing ExecStartPre= puts the unit in the failed state instead, and its
 * message (in `systemctl status`) names the file and the step of SECRETS.txt.
 */
export function secretAssertions(graph: Graph, plan: HostPlan): HostFile[] {
  const steps = secretSteps(plan);
  const byUnit = new Map<string, string[]>();
  for (const f of plan.files) {
    if (!f.secret) continue;
    const s = plan.services.find((x) => x.name === f.service);
    if (s === undefined) continue;
    // The job itself, not its timer: the timer may fire, the job refuses to run.
    byUnit.set(s.unit, [...(byUnit.get(s.unit) ?? []), f.path]);
  }
  const out: HostFile[] = [];
  for (const s of plan.services) {
    const paths = byUnit.get(s.unit);
    if (paths === undefined) continue;
    byUnit.delete(s.unit);
    const args = paths.flatMap((p) => [String(steps.get(p)), p]);
    // Only services have ExecStartPre=; no other kind of unit reads a secret today.
    if (!s.unit.endsWith(".service")) throw new Error(`target invariant: ${s.unit} reads a secret but is not a service`);
    const content = unitFile(
      [["Service", [["ExecStartPre", [NEED_SECRETS_SCRIPT, s.unit, ...args].join(" ")]]]],
      `${generatedBy(graph)}\nThese secret files are not in user-data (see SECRETS.txt beside it): ${s.unit} fails until they are copied here.`,
    );
    out.push(file(dropInPath(s.unit, SECRETS_DROP_IN), content, "systemd", s.name));
  }
  return out.length > 0 ? [needSecretsScript(graph), ...out] : out;
}

/** The firewall table and the unit that loads it at every boot, early. */
export function metadataBlockFiles(graph: Graph): HostFile[] {
  const nft = renderTemplate("metadata-block.nft.ejs", {
    header: generatedBy(graph),
    table: METADATA_TABLE,
    rules: [`meta skuid != 0 ip daddr ${METADATA_V4} reject`, `meta skuid != 0 ip6 daddr ${METADATA_V6} reject`],
  });
  // Ordered like Debian's nftables.service, before the network comes up, and
  // tied to it like the host firewall: its flush must not leave the metadata open.
  const unit = unitFile(
    [
      [
        "Unit",
        [
          ["Description", "hacompile: only root may reach the cloud metadata service (user-data holds secrets)"],
          ["DefaultDependencies", false],
          ["Wants", "network-pre.target"],
          ["Before", "network-pre.target shutdown.target"],
          ...nftablesTies(),
          ["Conflicts", "shutdown.target"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", `/usr/sbin/nft -f ${METADATA_NFT}`],
          ["ExecReload", `/usr/sbin/nft -f ${METADATA_NFT}`],
        ],
      ],
      ["Install", [["WantedBy", "sysinit.target"]]],
    ],
    generatedBy(graph),
  );
  return [
    file(METADATA_NFT, nft, "nftables", "metadata-block"),
    file(unitPath(METADATA_UNIT), unit, "systemd", "metadata-block"),
    nftablesDropIn(graph, METADATA_UNIT, "metadata-block"),
  ];
}

/** Where a secret file lands inside the host's folder of the target. */
export function secretCopyPath(host: string, path: string): string {
  return `${host}/secrets${path}`;
}

function copyCommand(address: string, f: HostFile): string {
  const remote = ["install", "-D", "-m", octal(f.mode), "-o", f.owner, "-g", f.group, "/dev/stdin", f.path].map(sh).join(" ");
  return `ssh root@${address} ${sh(remote)} < ${sh(`secrets${f.path}`)}`;
}

/** The secret files (0600 on the build machine) and SECRETS.txt, which says how to copy them. */
export function secretOutFiles(graph: Graph, plan: HostPlan): OutFile[] {
  const secrets = plan.files.filter((f) => f.secret);
  if (secrets.length === 0) return [];
  const h = plan.host;
  // The one-shot steps that read a secret (database bootstraps, the WordPress
  // installer) ran already, at boot, if the secrets were there, or after an
  // earlier copy: starting the target would not run them again, and a rotated
  // password would never reach the database or the admin account (seen on
  // booted machines). They converge, so running them again is safe. The
  // daemons that read a secret today (php-fpm) read it at every request.
  const readers = new Set(secrets.map((f) => f.service));
  const reapplied = plan.services.filter((s) => s.kind === "oneshot" && readers.has(s.name)).map((s) => s.unit);
  const text = [
    `hacompile: the secret files of host ${h.name} (${h.address}), topology "${graph.name}"`,
    "",
    "They are not in user-data: any local user of a cloud VM can read user-data from",
    `the metadata service (http://${METADATA_V4}/). Until they are in place, the units`,
    "that read them fail (systemctl --failed lists them), each naming the missing file",
    `and its step below; ${HEALTH_SCRIPT} says which checks fail.`,
    "",
    "From this folder, once the VM is up, copy them over SSH (use the address you reach",
    "the VM at; log in as the image's default user and put sudo before install and",
    `systemctl if root cannot log in), then start the stack again (${TARGET_UNIT} starts what failed):`,
    "",
    ...secrets.flatMap((f, i) => [`  # step ${i + 1}: ${f.path}`, `  ${copyCommand(h.address, f)}`]),
    // --no-block: a host's units may wait for other hosts (the WordPress
    // installer for the database, a replica for its primary), and those may
    // not have their secrets yet; a blocking start would hang here until
    // their own bounded waits ran out, whatever order the user takes.
    // reset-failed first: a unit that failed for want of its secrets was
    // restarted by its Restart=on-failure until it hit its start limit (5
    // starts in 10 s), and a start within those 10 s is refused (seen on
    // booted machines: php-fpm stayed failed when the copy followed the boot
    // closely). reset-failed also clears that count.
    `  # step ${secrets.length + 1}: start what failed${reapplied.length > 0 ? ", run the steps that apply the secrets again" : ""} (without waiting: some units wait for other hosts)`,
    `  ssh root@${h.address} ${sh(["systemctl reset-failed", ...(reapplied.length > 0 ? [`systemctl restart --no-block ${reapplied.join(" ")}`] : []), `systemctl start --no-block ${TARGET_UNIT}`].join(" && "))}`,
    "",
    "Once every host has its secrets, check each one (exit 0 when healthy):",
    "",
    `  ssh root@${h.address} ${HEALTH_SCRIPT}`,
    "",
    "install reads the file from standard input, so no copy lands in a temporary folder.",
    "Or build with --inline-secrets: user-data then carries them, and the host blocks",
    "every non-root process from the metadata service (hacompile-metadata-block.service).",
    "",
  ].join("\n");
  return [
    ...secrets.map((f) => ({ path: secretCopyPath(h.name, f.path), content: f.content, mode: 0o600 })),
    { path: `${h.name}/SECRETS.txt`, content: text, mode: 0o644 },
  ];
}
