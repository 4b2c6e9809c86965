// The service-name registry: every name a ServiceSpec may carry, spelled
// once. ServiceSpec.name and every `after` entry are typed by it, so an
// ordering that names a service that does not exist (a typo such as
// after: ["ngnix"]) fails to compile instead of silently ordering nothing.
// A new service is one line here, in the room of the renderer that starts it.

/** Services with one fixed name, by the folder whose renderer starts them. */
export const FIXED_SERVICES = [
  // sysctl/
  "sysctl",
  // nginx/
  "nginx",
  // haproxy/ (loadbalancer.engine: haproxy)
  "haproxy",
  // keepalived/ (do-reassert: the DigitalOcean reserved-IP re-assertion timer)
  "keepalived",
  "do-reassert",
  // php-fpm/
  "php-fpm",
  // wordpress/
  "wp-cron",
  "wp-install",
  "install-hyperdb",
  // mysql/ (the daemon is named after the engine)
  "mariadb",
  "mysql",
  "db-bootstrap",
  "db-backup",
  // gluster/
  "glusterd",
  "gluster-bricks",
  "gluster-bootstrap",
  "gluster-mount",
  // firewall/
  "firewall",
] as const;

export type FixedServiceName = (typeof FIXED_SERVICES)[number];

/**
 * Services named after a volume (gluster/): its mount on a client and its
 * backup job. The prefix is fixed, so a typo in it still fails to compile.
 */
export type VolumeServiceName = `mount-${string}` | `volume-backup-${string}`;

export type ServiceName = FixedServiceName | VolumeServiceName;

export function mountServiceName(volume: string): VolumeServiceName {
  return `mount-${volume}`;
}

export function volumeBackupServiceName(volume: string): VolumeServiceName {
  return `volume-backup-${volume}`;
}
