// The topology `hacompile init` writes: the smallest stack with no single
// point of failure that `check` knows of, commented for someone who has
// read only the README's quick start. test/first-hour.test.ts builds it.

export const STARTER_TOPOLOGY = `# A starter topology written by \`hacompile init\`. Edit it, then:
#   hacompile validate topology.yaml     # mistakes, with line and column
#   hacompile check topology.yaml        # single points of failure
#   hacompile build topology.yaml        # writes out/my-site/
# Every key is described by \`hacompile explain <key>\` (e.g. explain
# loadbalancer.failover) and in docs/topology-reference.md.

# Lower-case letters, digits and '-': it names the output folder, the
# compose project and the derived VRRP router id.
name: my-site

site:
  domain: example.org            # nginx server_name and the WordPress home URL
  title: My site
  admin_email: admin@example.org

network:
  subnet: 10.0.0.0/24            # every host's address is in here
  admin: 10.0.0.0/29             # only these addresses reach SSH
  interface: eth0                # where the hosts' addresses (and the VIP) live

# Every machine, by name. Names are what the sections below refer to.
hosts:
  lb1: { address: 10.0.0.11 }
  lb2: { address: 10.0.0.12 }
  wp1: { address: 10.0.0.21 }
  wp2: { address: 10.0.0.22 }
  db1: { address: 10.0.0.31 }
  db2: { address: 10.0.0.32 }
  fs1: { address: 10.0.0.41 }
  fs2: { address: 10.0.0.42 }
  fs3: { address: 10.0.0.43 }

# Two nginx load balancers share one floating address (the VIP): keepalived
# moves it to lb2 within a second when lb1 or its nginx fails.
loadbalancer:
  hosts: [lb1, lb2]              # order is preference: lb1 is the usual active
  vip: 10.0.0.100                # point your DNS record here
  failover: { mode: vrrp }
  routes:
    - { path: /, pool: wordpress }   # every path to the WordPress pool

# Web servers: php-fpm and nginx behind the load balancers.
pools:
  wordpress:
    hosts: [wp1, wp2]
    app: wordpress
    database: wp                 # one of the databases below
    volume: uploads              # the uploads folder, shared by both hosts

# MariaDB: writes go to the primary, reads may go to the replica (HyperDB).
# The passwords are generated into topology.secrets.yaml on the first build.
databases:
  wp:
    primary: db1
    replicas: [db2]
    name: wordpress

# GlusterFS keeps wp-content/uploads the same on every web server: three
# bricks, two full copies and an arbiter that breaks ties.
volumes:
  uploads:
    type: glusterfs
    replica: 3
    arbiter: 1
    bricks: [fs1, fs2, fs3]
    mount: /var/lib/wordpress/wp-content/uploads
`;

/** Keeps the generated secrets and the build output out of git. */
export const STARTER_GITIGNORE = `# Written by hacompile init. The secrets file holds every password: never commit it.
*.secrets.yaml
out/
`;
