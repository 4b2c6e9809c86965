// Issue 14 items 3 and 4: the generated mount helper (blog1 of wordpress-ha)
// run for real in a private mount namespace, with `mount -t glusterfs`
// played by a stand-in on PATH that fails while "the volume is not served"
// and then mounts a tmpfs, and `stat` by one that fails while "the client is
// dead" (what a killed FUSE client answers: ENOTCONN). The lab's gluster
// scenario kills the real client; this checks the helper's own logic.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, rootFile } from "./consistency/build.js";
import { ROOT } from "./helpers.js";

const b = buildPath(join(ROOT, "examples/wordpress-ha/topology.yaml"));
const HELPER = "/usr/local/sbin/hacompile-gluster-mount";
const MOUNT = "/var/lib/wordpress/wp-content/uploads";
const helper = rootFile(b, "blog1", HELPER);

interface Run {
  readonly out: string;
  readonly err: string;
}

/** Runs `steps` (bash) in a private mount namespace with the stand-ins first on PATH. */
function run(steps: readonly string[], failMounts: number): Run {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-gluster-mount-"));
  mkdirSync(join(dir, "bin"));
  // One second between tries instead of the helper's own delay: the logic is the same.
  writeFileSync(join(dir, "helper"), helper.replace(/^readonly DELAY=\d+$/m, "readonly DELAY=1"), { mode: 0o755 });
  writeFileSync(
    join(dir, "bin/mount"),
    [
      "#!/bin/bash",
      `n=$(cat ${dir}/tries 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/tries`,
      `if [[ $1 == -t && $2 == glusterfs ]]; then`,
      `  if ((n < ${failMounts})); then echo "volume not served" >&2; exit 32; fi`,
      '  exec /bin/mount -t tmpfs tmpfs "${@: -1}"',
      "fi",
      'exec /bin/mount "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, "bin/stat"),
    [
      "#!/bin/bash",
      // `dead` holds how many more stats fail: the dead client's answers, until the remount.
      `n=$(cat ${dir}/dead 2>/dev/null || echo 0)`,
      `if ((n > 0)); then echo $((n - 1)) > ${dir}/dead; echo "stat: Transport endpoint is not connected" >&2; exit 1; fi`,
      'exec /usr/bin/stat "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const script = ["set -u", `export PATH=${dir}/bin:$PATH`, `H=${dir}/helper`, `D=${dir}`, ...steps].join("\n");
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", script], { encoding: "utf8", timeout: 120_000 });
  return { out: r.stdout, err: r.stderr };
}

test("a volume not served at first is mounted by --wait once it is, and the marker written", () => {
  const r = run(['"$H" --wait ' + MOUNT + '; echo "rc=$?"', `findmnt -rn --mountpoint ${MOUNT} >/dev/null && echo mounted`, `cat ${MOUNT}/.hacompile-volume >/dev/null && echo marker`, 'echo "tries=$(cat $D/tries)"'], 2);
  assert.match(r.out, "rc=0", r.err);
  assert.match(r.out, "mounted");
  assert.match(r.out, "marker");
  assert.match(r.out, "tries=3");
  assert.match(r.err, "not served yet");
});

test("one round (the timer's) fails while the volume is not served, and mounts it on a later round", () => {
  const r = run(['"$H"; echo "first=$?"', '"$H"; echo "second=$?"', `findmnt -rn --mountpoint ${MOUNT} >/dev/null && echo mounted`], 1);
  assert.match(r.out, "first=1", r.err);
  assert.match(r.out, "second=0", r.err);
  assert.match(r.out, "mounted");
});

test("a mounted volume whose client died is unmounted and mounted again; the marker comes back", () => {
  const r = run(
    [
      '"$H" --wait ' + MOUNT + ' >/dev/null 2>&1',
      "echo 1 > $D/dead",
      // The first mount was a tmpfs: a new one is empty, as a fresh mount of an empty volume would be.
      '"$H"; echo "round=$?"',
      `findmnt -rn --mountpoint ${MOUNT} | wc -l | sed 's/^/mounts=/'`,
      `test -f ${MOUNT}/.hacompile-volume && echo marker`,
    ],
    0,
  );
  assert.match(r.err, "does not answer");
  assert.match(r.out, "round=0", r.err);
  assert.match(r.out, "mounts=1", "the dead mount was unmounted, not stacked under a new one");
  assert.match(r.out, "marker");
});

test.run();
