// The machines' base tree: Debian bookworm made by debootstrap, with what a
// cloud image has (systemd, cloud-init, sshd, sudo) and the few settings a
// cloud image ships with, cached between runs. It is built in a scratch
// folder and renamed into place only when complete, so a run killed
// half-way never leaves a tree that looks finished.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must } from "../exec.js";
import type { MirrorUri } from "./relay.js";

export const SUITE = "bookworm";

/**
 * What the image holds besides minbase. python3-cffi-backend: without it
 * cloud-init stays unconfigured; locales: cloud-config runs locale-gen;
 * ifupdown: cloud-init renders the NoCloud network-config for it.
 */
export const BASE_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "cloud-init",
  "python3-cffi-backend",
  "iproute2",
  "iputils-ping",
  "procps",
  "openssh-server",
  "sudo",
  "curl",
  "ca-certificates",
  "netbase",
  "locales",
  "ifupdown",
  "apt-utils",
  "gnupg",
] as const;

/** Bumped whenever `configure` changes, so an older cached tree is not reused. */
const LAYOUT_VERSION = 1;

/** The cache key: a tree is reused only when made from the same inputs. */
export function baseKey(mirrors: readonly MirrorUri[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ SUITE, BASE_PACKAGES, LAYOUT_VERSION, mirrors }));
  return h.digest("hex").slice(0, 16);
}

/** apt's classic sources.list for the machines: every suite of the host's own sources. */
export function sourcesList(mirrors: readonly MirrorUri[]): string {
  // The one-line format takes one suite per line.
  return mirrors.flatMap((m) => m.suites.map((s) => `deb ${m.uri} ${s} main`)).join("\n") + "\n";
}

/** The mirror debootstrap fetches the suite itself from. */
export function mainMirror(mirrors: readonly MirrorUri[]): string {
  const m = mirrors.find((x) => x.suites.includes(SUITE));
  if (!m) throw new Error(`no apt source carries ${SUITE}`);
  return m.uri;
}

/** Settings a cloud image ships with, written into the fresh tree. */
export const CLOUD_CFG = [
  "# hacompile lab: the seed is on the machine's disk (NoCloud); nothing else to probe.",
  "datasource_list: [ NoCloud, None ]",
  "# Without it sudo warns that it cannot resolve the machine's own name.",
  "manage_etc_hosts: localhost",
  "",
].join("\n");

async function chroot(root: string, cmd: string): Promise<void> {
  await must("chroot", [root, "sh", "-c", cmd], { timeoutMs: 300_000 });
}

async function configure(root: string, mirrors: readonly MirrorUri[]): Promise<void> {
  writeFileSync(join(root, "etc/apt/sources.list"), sourcesList(mirrors));
  writeFileSync(join(root, "etc/cloud/cloud.cfg.d/90-hacompile-lab.cfg"), CLOUD_CFG);
  // Each machine gets its own identity at first boot, as from a cloud image.
  writeFileSync(join(root, "etc/machine-id"), "");
  rmSync(join(root, "var/lib/dbus/machine-id"), { force: true });
  rmSync(join(root, "etc/hostname"), { force: true });
  for (const f of readdirSync(join(root, "etc/ssh"))) if (f.startsWith("ssh_host_")) unlinkSync(join(root, "etc/ssh", f));
  // cloud-config.service fails on locale-gen without a generated locale.
  writeFileSync(join(root, "etc/locale.gen"), "en_US.UTF-8 UTF-8\n");
  writeFileSync(join(root, "etc/default/locale"), "LANG=en_US.UTF-8\n");
  await chroot(root, "locale-gen >/dev/null");
  // A container cannot mount rpc_pipefs (nfs-common, pulled in by glusterfs-server): a VM could.
  const mask = join(root, "etc/systemd/system/run-rpc_pipefs.mount");
  rmSync(mask, { force: true });
  symlinkSync("/dev/null", mask);
  await chroot(root, "apt-get clean");
}

/** The cached tree for these mirrors, built first when missing. `log` gets one line per step. */
export async function ensureBase(cache: string, mirrors: readonly MirrorUri[], proxyPort: number, log: (l: string) => void): Promise<{ root: string; seconds: number; built: boolean }> {
  const root = join(cache, `base-${baseKey(mirrors)}`);
  if (existsSync(join(root, "etc/os-release"))) return { root, seconds: 0, built: false };
  mkdirSync(cache, { recursive: true });
  // Scratch folders of runs that were killed: never complete, always safe to drop.
  for (const e of readdirSync(cache)) if (e.startsWith(".build-")) rmSync(join(cache, e), { recursive: true, force: true });
  const scratch = join(cache, `.build-${process.pid}`);
  const t0 = Date.now();
  log(`base tree: debootstrap ${SUITE} into ${root} (once; later runs reuse it)`);
  const proxy = `http://127.0.0.1:${proxyPort}`;
  await must("debootstrap", ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, SUITE, scratch, mainMirror(mirrors)], {
    timeoutMs: 1_200_000,
    env: { http_proxy: proxy, https_proxy: proxy, PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  await configure(scratch, mirrors);
  renameSync(scratch, root);
  const seconds = Math.round((Date.now() - t0) / 1000);
  log(`base tree ready in ${seconds} s`);
  return { root, seconds, built: true };
}
