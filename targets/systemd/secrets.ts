// Secrets and cloud user-data. Any local user of a cloud VM can read its
// user-data from the metadata service (169.254.169.254), so by default secret
// files stay out of it: they are emitted beside it with the commands that copy
// them to the host, and the units that read them assert that they exist, so a
// host without them fails visibly (systemctl --failed) instead of running
// half-configured. With inlineSecrets they go into user-data, and the host
// gets a firewall table that keeps every non-root process away from the
// metadata service, loaded at every boot.
import type { Graph } from "../../src/graph/model.js";
import { renderTemplate } from "../../src/render/ejs.js";
import { generatedBy } from "../../src/render/nginx-main.js";
import { sh } from "../../src/render/quote.js";
import { unitFile } from "../../src/render/systemd-unit.js";
import { file, type HostFile, type HostPlan } from "../../src/render/types.js";
import { dropInPath, octal, TARGET_UNIT, unitPath } from "../shared/host-units.js";
import type { OutFile } from "../types.js";

export const SECRETS_DROP_IN = "hacompile-secrets.conf";
export const METADATA_UNIT = "hacompile-metadata-block.service";
export const METADATA_NFT = "/etc/hacompile/metadata-block.nft";
const METADATA_TABLE = "hacompile_metadata";
/** The address every major cloud serves metadata on, and AWS's IPv6 one. */
const METADATA_V4 = "169.254.169.254";
const METADATA_V6 = "fd00:ec2::254";

/** One drop-in per unit that reads a secret file: AssertPathExists= for each. */
export function secretAssertions(graph: Graph, plan: HostPlan): HostFile[] {
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
    const content = unitFile(
      [["Unit", paths.map((p) => ["AssertPathExists", p] as const)]],
      `${generatedBy(graph)}\nThese secret files are not in user-data (see SECRETS.txt beside it): ${s.unit} fails until they are copied here.`,
    );
    out.push(file(dropInPath(s.unit, SECRETS_DROP_IN), content, "systemd", s.name));
  }
  return out;
}

/** The firewall table and the unit that loads it at every boot, early. */
export function metadataBlockFiles(graph: Graph): HostFile[] {
  const nft = renderTemplate("systemd-metadata-block.nft.ejs", {
    header: generatedBy(graph),
    table: METADATA_TABLE,
    rules: [`meta skuid != 0 ip daddr ${METADATA_V4} reject`, `meta skuid != 0 ip6 daddr ${METADATA_V6} reject`],
  });
  // Ordered like Debian's nftables.service: before the network comes up.
  const unit = unitFile(
    [
      [
        "Unit",
        [
          ["Description", "hacompile: only root may reach the cloud metadata service (user-data holds secrets)"],
          ["DefaultDependencies", false],
          ["Wants", "network-pre.target"],
          ["Before", "network-pre.target shutdown.target"],
          ["Conflicts", "shutdown.target"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", `/usr/sbin/nft -f ${METADATA_NFT}`],
        ],
      ],
      ["Install", [["WantedBy", "sysinit.target"]]],
    ],
    generatedBy(graph),
  );
  return [
    file(METADATA_NFT, nft, "nftables", "metadata-block"),
    file(unitPath(METADATA_UNIT), unit, "systemd", "metadata-block"),
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
  const text = [
    `hacompile: the secret files of host ${h.name} (${h.address}), topology "${graph.name}"`,
    "",
    "They are not in user-data: any local user of a cloud VM can read user-data from",
    `the metadata service (http://${METADATA_V4}/). The units that read them carry`,
    "AssertPathExists= and fail, visibly (systemctl --failed), until they are in place.",
    "",
    "From this folder, once the VM is up, copy them over SSH (use the address you reach",
    "the VM at; log in as the image's default user and put sudo before install and",
    `systemctl if root cannot log in), then start the stack again (${TARGET_UNIT} starts what failed):`,
    "",
    ...secrets.map((f) => `  ${copyCommand(h.address, f)}`),
    `  ssh root@${h.address} systemctl start ${TARGET_UNIT}`,
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
