// Backups (issue 14, item 11): with `backup.path` the database backup and the
// uploads backup write under that mount point and refuse to run without it;
// without it they stay on the host, as before. The restore drill with the
// real programs is test/db-lab/run.sh.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildText, hasRootFile, rootFile } from "./consistency/build.js";

const topology = (backup: string): string => `
name: bk
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  w1: { address: 10.1.0.21 }
  w2: { address: 10.1.0.22 }
  d1: { address: 10.1.0.31 }
  d2: { address: 10.1.0.32 }
  f1: { address: 10.1.0.41 }
  f2: { address: 10.1.0.42 }
loadbalancer:
  hosts: [lb1]
  failover: { mode: none }
  routes: [{ path: /, pool: web }]
pools:
  web: { hosts: [w1, w2], app: wordpress, database: wp, volume: uploads }
databases:
  wp: { primary: d1, replicas: [d2], name: wp }
volumes:
  uploads: { type: glusterfs, replica: 2, bricks: [f1, f2], mount: /srv/uploads }
${backup}`;

const DB_BACKUP = "/usr/local/sbin/hacompile-db-backup";
const VOLUME_BACKUP = "/usr/local/sbin/hacompile-volume-backup-uploads";
const rootOf = (script: string): string | undefined => /^readonly .*\bROOT=(\S+)/m.exec(script)?.[1];

test("backup.path: both backups write under the mount point and require it", () => {
  const b = buildText(topology("backup: { path: /mnt/offsite }"));
  const db = rootFile(b, "d2", DB_BACKUP);
  assert.is(rootOf(db), "/mnt/offsite/bk/db/wp");
  assert.match(db, /readonly DEST_MOUNT=\/mnt\/offsite\nif ! mountpoint -q -- "\$DEST_MOUNT"; then/);
  assert.match(rootFile(b, "d2", "/etc/systemd/system/hacompile-db-backup.service"), "RequiresMountsFor=/mnt/offsite");
  const vol = rootFile(b, "w1", VOLUME_BACKUP);
  assert.is(rootOf(vol), "/mnt/offsite/bk/volumes/uploads");
  assert.match(vol, "readonly SOURCE=/srv/uploads");
  assert.match(vol, /readonly DEST_MOUNT=\/mnt\/offsite\nif ! mountpoint -q -- "\$DEST_MOUNT"; then/);
  assert.match(rootFile(b, "w1", "/etc/systemd/system/hacompile-volume-backup-uploads.service"), "RequiresMountsFor=/srv/uploads /mnt/offsite");
  assert.match(rootFile(b, "w1", "/etc/systemd/system/hacompile-volume-backup-uploads.timer"), "OnCalendar=");
  // One host per volume takes it: the first client.
  assert.not.ok(hasRootFile(b, "w2", VOLUME_BACKUP));
});

test("no backup.path: both backups stay on the host, without a mount check", () => {
  const b = buildText(topology(""));
  const db = rootFile(b, "d2", DB_BACKUP);
  assert.is(rootOf(db), "/var/backups/hacompile/db");
  assert.not.match(db, "DEST_MOUNT");
  const vol = rootFile(b, "w1", VOLUME_BACKUP);
  assert.is(rootOf(vol), "/var/backups/hacompile/volumes/uploads");
  assert.not.match(vol, "DEST_MOUNT");
});

test.run();
