// One chain of timeouts for a request, innermost first, so that the limit
// closest to the work always fires first and the layers outside it see an
// answer, never a timeout of their own:
//
//   database connect (3 s) < nginx waiting for PHP (60 s, then 504)
//     < php-fpm killing the worker (65 s) < LB waiting for the web host (75 s)
//
// A 504 from a web host means "PHP was too slow", not "the host is down": the
// load balancers neither retry it nor count it against the member (so one
// slow request no longer takes a member out with max_fails=1). A web host
// that vanishes is caught far sooner by TCP keepalive (lb-nginx.ts).

/**
 * PHP's default_socket_timeout, which mysqlnd uses as the connect timeout of
 * mysqli (WordPress sets no MYSQLI_OPT_CONNECT_TIMEOUT). PHP's default is 60 s:
 * with the primary's packets dropped every writing request waited that long
 * and the pool's children filled up. A LAN database answers a connect in
 * milliseconds; 3 s covers a busy server. HyperDB probes each server's TCP
 * port first with its own, shorter timeout (hyperdb.ts).
 */
export const DB_CONNECT_TIMEOUT_SECONDS = 3;

/** nginx's fastcgi_read_timeout on web hosts: the longest a page may take; then 504. */
export const FASTCGI_READ_TIMEOUT_SECONDS = 60;

/**
 * php-fpm's request_terminate_timeout: a worker still running this long after
 * its request began is killed, shortly after nginx gave up on it, so a stuck
 * script cannot hold a child for ever.
 */
export const PHP_TERMINATE_SECONDS = FASTCGI_READ_TIMEOUT_SECONDS + 5;

/** The LBs' proxy_read_timeout: above everything a live web host can take to answer. */
export const LB_READ_TIMEOUT_SECONDS = PHP_TERMINATE_SECONDS + 10;

/** wp-cron's curl to its own nginx: nginx's 504 comes first; the margin is for the connection. */
export const CRON_MAX_SECONDS = FASTCGI_READ_TIMEOUT_SECONDS + 10;

/**
 * TCP keepalive timers of a load balancer (sysctl.d, sysctl/; nginx's upstream
 * connections turn keepalive on). A web host that vanishes mid-request
 * (power or link gone: no RST) leaves the request waiting for
 * proxy_read_timeout, 60 s; `hacompile lab test` saw those requests fail at
 * the client. Probing after 2 s idle, twice 1 s apart, drops such a
 * connection about 4 s after the host's last packet, and nginx retries the
 * request on another member. The kernel answers probes whatever PHP is
 * doing, so a slow request on a live host is never cut.
 */
export const UPSTREAM_TCP_KEEPALIVE = { timeSeconds: 2, intervalSeconds: 1, probes: 2 } as const;
