#!/usr/bin/env bash
# The database items of issue 14, proven with the real programs: a MariaDB
# primary and replica (the packaged mariadbd, mariadb-backup) run from the
# GENERATED bundle files of a small topology, each in network and mount
# namespaces of its own, driven by the GENERATED bootstrap and backup scripts.
#   durability   every server runs with sync_binlog=1, innodb_flush_log_at_trx_commit=1,
#                gtid_strict_mode, relay_log_recovery; replicas do not start replication
#                by themselves (skip_slave_start): only the bootstrap, after its checks
#   promotable   the replica holds the replication account and serves a binlog reader
#   rotation     a rotated replication password, re-applied primary then replica, or
#                replica first: the replica reconnects (STOP/START SLAVE) and replicates
#   diverged     a power cut of the primary (kill -9, binary log cut back to an earlier
#                commit, new writes): the replica's bootstrap refuses, loudly, to replicate
#   backup       the database backup and the uploads backup land on the mounted
#                destination; a restore drill on a fresh host gets both back
# Needs root, iproute2, util-linux and mariadb-server, mariadb-client,
# mariadb-backup. Prints "N passed, N failed" last, as the CI suites do.
# Usage: test/db-lab/run.sh [TEST...]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
HERE=test/db-lab
# shellcheck source=test/db-lab/lib.sh
. "$HERE/lib.sh"
# shellcheck source=test/db-lab/topology.sh
. "$HERE/topology.sh"

if ((EUID != 0)); then
  echo "db-lab: needs root"
  echo "0 passed, 1 failed"
  exit 1
fi
for tool in mariadbd mariadb mariadb-install-db mariadb-backup ip nsenter unshare; do
  if ! command -v "$tool" >/dev/null; then
    echo "db-lab: $tool is not installed"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

REPL_A=FAKEreplPasswordLabA000000000000
REPL_B=FAKEreplPasswordLabB000000000000
REPL_C=FAKEreplPasswordLabC000000000000
APP_A=FAKEappPasswordLabA0000000000000
APP_B=FAKEappPasswordLabB0000000000000
BACKUP_PATH=/srv/backup
UPLOADS=/var/lib/wordpress/wp-content/uploads

passed=0
failed=0
trap lab_down EXIT

fail() {
  echo "  FAIL: $*"
  return 1
}

# build NAME REPL APP [BACKUP]: the bundle of the lab's topology with these secrets.
build() {
  local out="$LAB_DIR/build-$1"
  mkdir -p "$out"
  write_topology "$out/topology.yaml" "${4:-}"
  write_secrets "$out/secrets.yaml" "$2" "$3"
  if ! node bin/hacompile.js build "$out/topology.yaml" --secrets "$out/secrets.yaml" --frozen-secrets \
    --target bundle -o "$out/out" >"$out/build.log" 2>&1; then
    cat "$out/build.log"
    return 1
  fi
  echo "$out/out/bundle"
}

bootstrap() { # HOST: runs the generated bootstrap; its output in $LAB_DIR/HOST/bootstrap.log
  in_host "$1" /usr/local/sbin/hacompile-db-bootstrap >"$LAB_DIR/$1/bootstrap.log" 2>&1
}

slave_field() { # HOST FIELD
  in_host "$1" mariadb --protocol=SOCKET --user=root -e 'SHOW SLAVE STATUS\G' | awk -v k="$2:" '$1 == k { sub(/^[^:]*: ?/, ""); print; exit }'
}

# The replica has applied everything the primary has logged.
caught_up() {
  local pos
  pos=$(sql db1 'SELECT @@gtid_binlog_pos')
  [[ $(sql db2 "SELECT MASTER_GTID_WAIT('$pos', 10)") == 0 ]]
}

# A client option file of the lab (root-only), for logins the hosts do not have.
login_cnf() { # NAME USER PASSWORD
  install -m 0600 /dev/null "$LAB_DIR/$1.cnf"
  printf '[client]\nuser = %s\npassword = %s\n' "$2" "$3" >"$LAB_DIR/$1.cnf"
  echo "$LAB_DIR/$1.cnf"
}

# Primary and replica from bundle $1, both bootstrapped, replicating.
up_pair() {
  host_add db1 10.77.0.31/24 "$1/db1" && host_add db2 10.77.0.32/24 "$1/db2" &&
    db_init db1 && db_init db2 && db_start db1 && db_start db2 &&
    { bootstrap db1 || fail "primary bootstrap: $(cat "$LAB_DIR/db1/bootstrap.log")"; } &&
    { bootstrap db2 || fail "replica bootstrap: $(cat "$LAB_DIR/db2/bootstrap.log")"; } &&
    sql db1 'CREATE TABLE wp.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB' &&
    { caught_up || fail "the replica did not catch up"; }
}

t_durability() {
  local b h v
  b=$(build a "$REPL_A" "$APP_A") && up_pair "$b" || return 1
  for h in db1 db2; do
    v=$(sql "$h" 'SELECT @@sync_binlog, @@innodb_flush_log_at_trx_commit, @@gtid_strict_mode, @@relay_log_recovery')
    [[ $v == $'1\t1\t1\t1' ]] || fail "$h: sync_binlog, innodb_flush_log_at_trx_commit, gtid_strict_mode, relay_log_recovery = $v" || return 1
  done
  # Restarted, the replica's server does not start replication by itself:
  # its bootstrap does, after its checks.
  db_stop db2 && db_start db2 || return 1
  v=$(slave_field db2 Slave_IO_Running)
  [[ $v == No ]] || fail "db2 started replication by itself (Slave_IO_Running: $v)" || return 1
  bootstrap db2 || fail "replica bootstrap after a restart: $(cat "$LAB_DIR/db2/bootstrap.log")" || return 1
  sql db1 "INSERT INTO wp.t (v) VALUES ('after restart')"
  caught_up || fail "the replica does not replicate after its bootstrap"
}

t_promotable() {
  local b cnf out
  b=$(build a "$REPL_A" "$APP_A") && up_pair "$b" || return 1
  # db1 reads db2's binary log as the replication user: exactly what db1
  # does as a replica once db2 is promoted.
  cnf=$(login_cnf repl-a repl "$REPL_A")
  out=$(in_host db1 mariadb-binlog --defaults-file="$cnf" --read-from-remote-server --host=10.77.0.32 --stop-never-slave-server-id=0 mysql-bin.000001 2>&1 | head -c 200000) ||
    true
  grep -q 'CREATE TABLE wp.t' <<<"$out" || fail "db1 could not read db2's binary log as the replication user: $(head -n 3 <<<"$out")"
}

t_rotation() {
  local a b c
  a=$(build a "$REPL_A" "$APP_A") && b=$(build b "$REPL_B" "$APP_B") && c=$(build c "$REPL_C" "$APP_B") || return 1
  up_pair "$a" || return 1
  # Primary first, then the replica.
  host_reinstall db1 "$b/db1" && bootstrap db1 || fail "primary bootstrap after the rotation" || return 1
  host_reinstall db2 "$b/db2" && bootstrap db2 || fail "replica bootstrap after the rotation: $(cat "$LAB_DIR/db2/bootstrap.log")" || return 1
  reconnects_and_replicates b || return 1
  # The replica first: its bootstrap waits for the primary to accept the new
  # password while replication goes on with the old one, then switches.
  host_reinstall db2 "$c/db2"
  bootstrap db2 &
  local pid=$!
  sleep 4
  sql db1 "INSERT INTO wp.t (v) VALUES ('during')"
  caught_up || fail "replication stopped while the replica waited for the primary" || return 1
  host_reinstall db1 "$c/db1" && bootstrap db1 || fail "primary bootstrap after the second rotation" || return 1
  wait "$pid" || fail "replica bootstrap, applied before its primary: $(cat "$LAB_DIR/db2/bootstrap.log")" || return 1
  reconnects_and_replicates c || return 1
  # The application password, rotated on the primary, works on the replica.
  local cnf
  cnf=$(login_cnf app-b wp "$APP_B")
  host_add web1 10.77.0.21/24 "$b/web1" || return 1
  in_host web1 mariadb --defaults-file="$cnf" --host=10.77.0.32 -e 'SELECT 1' >/dev/null ||
    fail "the rotated application password does not log in on the replica" || return 1
}

# STOP/START SLAVE makes the I/O thread log in again: with a stale password it fails with 1045.
reconnects_and_replicates() {
  sql db2 'STOP SLAVE; START SLAVE'
  sql db1 "INSERT INTO wp.t (v) VALUES ('after rotation $1')"
  caught_up || fail "after rotation $1 the replica does not replicate: $(slave_field db2 Last_IO_Error)"
}

t_diverged() {
  local b off rows log
  b=$(build a "$REPL_A" "$APP_A") && up_pair "$b" || return 1
  for i in $(seq 1 10); do sql db1 "INSERT INTO wp.t (v) VALUES ('kept $i')"; done
  off=$(sql db1 'SHOW MASTER STATUS' | cut -f 2)
  for i in $(seq 1 10); do sql db1 "INSERT INTO wp.t (v) VALUES ('lost $i')"; done
  caught_up || fail "the replica did not catch up" || return 1
  # Power cut of the whole rack: both die; the primary's binary log loses
  # the tail that was never fsynced (cut back to the commit at $off).
  db_stop db2 KILL
  db_stop db1 KILL
  truncate -s "$off" "$LAB_DIR/db1/data/mysql-bin.000001"
  db_start db1 || return 1
  for i in $(seq 1 3); do sql db1 "INSERT INTO wp.t (v) VALUES ('new $i')"; done
  db_start db2 || return 1
  rows=$(sql db2 'SELECT COUNT(*) FROM wp.t')
  if bootstrap db2; then
    fail "the replica's bootstrap succeeded on a diverged history: $(cat "$LAB_DIR/db2/bootstrap.log")"
    return 1
  fi
  log=$(cat "$LAB_DIR/db2/bootstrap.log")
  grep -q 'REFUSING TO REPLICATE' <<<"$log" || fail "no clear refusal: $log" || return 1
  echo "  bootstrap said: $(grep -m 2 -A 1 REFUSING <<<"$log" | tr '\n' ' ')"
  [[ $(slave_field db2 Slave_SQL_Running) == No && $(slave_field db2 Slave_IO_Running) == No ]] ||
    fail "replication runs on the diverged replica" || return 1
  [[ $(sql db2 'SELECT COUNT(*) FROM wp.t') == "$rows" ]] || fail "the diverged replica applied new rows" || return 1
}

t_backup() {
  local b n_primary
  mkdir -p "$LAB_DIR/backup-disk"
  b=$(build d "$REPL_A" "$APP_A" "$BACKUP_PATH") && up_pair "$b" || return 1
  for i in $(seq 1 50); do sql db1 "INSERT INTO wp.t (v) VALUES ('row $i')"; done
  caught_up || return 1
  # The destination: a disk mounted at the configured path (the same disk
  # on every host, as an NFS export would be).
  in_host db2 sh -c "mkdir -p $BACKUP_PATH && mount --bind $LAB_DIR/backup-disk $BACKUP_PATH" || return 1
  in_host db2 /usr/local/sbin/hacompile-db-backup >"$LAB_DIR/db2/backup.log" 2>&1 ||
    fail "database backup: $(tail -n 5 "$LAB_DIR/db2/backup.log")" || return 1
  # Uploads: web1 mounts the volume; a stand-in folder with files is mounted there.
  host_add web1 10.77.0.21/24 "$b/web1" || return 1
  mkdir -p "$LAB_DIR/uploads/2026/12"
  head -c 300000 /dev/urandom >"$LAB_DIR/uploads/2026/12/photo.jpg"
  echo hello >"$LAB_DIR/uploads/2026/12/note.txt"
  in_host web1 sh -c "mkdir -p $UPLOADS $BACKUP_PATH && mount --bind $LAB_DIR/uploads $UPLOADS && mount --bind $LAB_DIR/backup-disk $BACKUP_PATH" || return 1
  in_host web1 /usr/local/sbin/hacompile-volume-backup-uploads >"$LAB_DIR/web1/backup.log" 2>&1 ||
    fail "uploads backup: $(tail -n 5 "$LAB_DIR/web1/backup.log")" || return 1
  # Restore drill on a fresh host: the database host and the web host are gone.
  host_add db3 10.77.0.33/24 "$b/db2" || return 1
  in_host db3 sh -c "mkdir -p $BACKUP_PATH && mount --bind $LAB_DIR/backup-disk $BACKUP_PATH" || return 1
  local dbdir
  dbdir=$(in_host db3 sh -c "ls -d $BACKUP_PATH/db-lab/db/wp/*Z | tail -n 1") || fail "no database backup on the destination" || return 1
  in_host db3 sh -ec "mariadb-backup --copy-back --target-dir='$dbdir' >/dev/null 2>&1; chown -R mysql:mysql /var/lib/mysql" ||
    fail "copy-back of $dbdir" || return 1
  db_start db3 || return 1
  n_primary=$(sql db1 'SELECT COUNT(*), SUM(CRC32(v)) FROM wp.t')
  [[ $(sql db3 'SELECT COUNT(*), SUM(CRC32(v)) FROM wp.t') == "$n_primary" ]] ||
    fail "restored database differs: $(sql db3 'SELECT COUNT(*) FROM wp.t') rows against $n_primary" || return 1
  local tarball
  tarball=$(in_host db3 sh -c "ls $BACKUP_PATH/db-lab/volumes/uploads/*Z.tar.gz | tail -n 1") || fail "no uploads backup on the destination" || return 1
  mkdir -p "$LAB_DIR/restored"
  in_host db3 tar -xzf "$tarball" -C "$LAB_DIR/restored" || fail "extracting $tarball" || return 1
  diff -r "$LAB_DIR/uploads" "$LAB_DIR/restored" || fail "restored uploads differ" || return 1
  # Not a mount point: the backup refuses instead of filling the host's own disk.
  in_host web1 umount "$BACKUP_PATH"
  if in_host web1 /usr/local/sbin/hacompile-volume-backup-uploads >"$LAB_DIR/web1/backup2.log" 2>&1; then
    fail "the uploads backup wrote to an unmounted destination"
    return 1
  fi
  grep -q 'not a mount point' "$LAB_DIR/web1/backup2.log" || fail "no clear message: $(cat "$LAB_DIR/web1/backup2.log")"
}

ALL=(durability promotable rotation diverged backup)
TESTS=("$@")
if ((${#TESTS[@]} == 0)); then TESTS=("${ALL[@]}"); fi
npm run --silent build >/dev/null 2>&1 || { echo "db-lab: npm run build failed"; echo "0 passed, 1 failed"; exit 1; }
for t in "${TESTS[@]}"; do
  start=$SECONDS
  lab_init
  if "t_$t"; then
    echo "ok   $t ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL $t ($((SECONDS - start)) s)"
    failed=$((failed + 1))
  fi
  if [[ -z ${KEEP:-} ]]; then lab_down; fi
  HOLDER=()
  DAEMON=()
done
echo "$passed passed, $failed failed"
((failed == 0))
