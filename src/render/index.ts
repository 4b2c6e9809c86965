// The renderer registry: every kind of config file, one module each. Order
// here does not matter; the plan sorts files by path.
import { doFailover } from "./do-failover.js";
import { firewall } from "./firewall.js";
import { glusterClient } from "./gluster-client.js";
import { glusterServer } from "./gluster-server.js";
import { hyperdb } from "./hyperdb.js";
import { keepalived } from "./keepalived.js";
import { lbNginx } from "./lb-nginx.js";
import { nginxMain } from "./nginx-main.js";
import { mysqlBackup } from "./mysql-backup.js";
import { mysqlBootstrap } from "./mysql-bootstrap.js";
import { mysqlConfig } from "./mysql-config.js";
import { phpFpm } from "./php-fpm.js";
import { sysctl } from "./sysctl.js";
import type { Renderer } from "./types.js";
import { volumeBackup } from "./volume-backup.js";
import { webNginx } from "./web-nginx.js";
import { wordpress } from "./wordpress.js";
import { wordpressInstall } from "./wordpress-install.js";

export const renderers: readonly Renderer[] = [
  sysctl,
  nginxMain,
  lbNginx,
  keepalived,
  doFailover,
  webNginx,
  phpFpm,
  wordpress,
  wordpressInstall,
  hyperdb,
  mysqlConfig,
  mysqlBootstrap,
  mysqlBackup,
  glusterServer,
  glusterClient,
  volumeBackup,
  firewall,
];
