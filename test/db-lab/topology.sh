# The lab's topology: a primary and a replica, one web host (the application
# user's address) and one Gluster brick host. $1 non-empty adds the backup
# destination. Sourced by run.sh.
# shellcheck shell=bash

write_topology() { # FILE [BACKUP_PATH]
  cat >"$1" <<YAML
name: db-lab
site: { domain: example.org, title: Lab, admin_email: admin@example.org }
network: { subnet: 10.77.0.0/24, admin: 10.77.0.0/28 }
hosts:
  lb1: { address: 10.77.0.11 }
  web1: { address: 10.77.0.21 }
  db1: { address: 10.77.0.31 }
  db2: { address: 10.77.0.32 }
  fs1: { address: 10.77.0.41 }
loadbalancer:
  hosts: [lb1]
  failover: { mode: none }
  routes: [{ path: /, pool: web }]
pools:
  web: { hosts: [web1], app: wordpress, database: wp, volume: uploads }
databases:
  wp: { primary: db1, replicas: [db2], name: wp }
volumes:
  uploads: { type: glusterfs, replica: 1, bricks: [fs1], mount: /var/lib/wordpress/wp-content/uploads }
YAML
  if [[ -n ${2:-} ]]; then printf 'backup:\n  path: %s\n' "$2" >>"$1"; fi
}

# write_secrets FILE REPLICATION_PASSWORD APP_PASSWORD: obviously fake values.
write_secrets() {
  local s=FAKEsalt0000000000000000000000000000000000000000000000000000000
  cat >"$1" <<YAML
databases:
  wp: { app: $3, replication: $2, root: FAKErootPasswordLab0000000000000 }
salts:
  AUTH_KEY: $s
  SECURE_AUTH_KEY: $s
  LOGGED_IN_KEY: $s
  NONCE_KEY: $s
  AUTH_SALT: $s
  SECURE_AUTH_SALT: $s
  LOGGED_IN_SALT: $s
  NONCE_SALT: $s
wordpressAdmin: FAKEadminPasswordLab0000
YAML
  chmod 600 "$1"
}
