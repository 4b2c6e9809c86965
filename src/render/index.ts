// The renderer registry: every kind of config file, one module each. Order
// here does not matter; the plan sorts files by path.
import { doFailover } from "./keepalived/do-failover.js";
import { firewall } from "./firewall/firewall.js";
import { glusterClient } from "./gluster/gluster-client.js";
import { glusterServer } from "./gluster/gluster-server.js";
import { haproxy } from "./haproxy/haproxy.js";
import { hyperdb } from "./wordpress/hyperdb.js";
import { keepalived } from "./keepalived/keepalived.js";
import { lbNginx } from "./nginx/lb-nginx.js";
import { nginxMain } from "./nginx/nginx-main.js";
import { mysqlBackup } from "./mysql/mysql-backup.js";
import { mysqlBootstrap } from "./mysql/mysql-bootstrap.js";
import { mysqlConfig } from "./mysql/mysql-config.js";
import { phpFpm } from "./php-fpm/php-fpm.js";
import { sysctl } from "./sysctl/sysctl.js";
import type { Renderer } from "./types.js";
import { volumeBackup } from "./gluster/volume-backup.js";
import { webNginx } from "./nginx/web-nginx.js";
import { wordpress } from "./wordpress/wordpress.js";
import { wordpressInstall } from "./wordpress/wordpress-install.js";

export const renderers: readonly Renderer[] = [
  sysctl,
  nginxMain,
  lbNginx,
  haproxy,
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
