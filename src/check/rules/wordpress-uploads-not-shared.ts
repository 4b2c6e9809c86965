// A WordPress pool of two or more hosts keeps uploads (wp-content/uploads) on
// each host's own disk unless a shared volume is mounted there: a picture
// uploaded through one host is a 404 on the others, so the site shows it to
// some visitors and not to others, and a host that leaves the pool takes its
// uploads with it. Error: the site is wrong as soon as anyone uploads, with
// no failure needed, and nothing outside the topology can fix it.
import type { GraphRule } from "../types.js";

export const wordpressUploadsNotShared: GraphRule = {
  kind: "graph",
  code: "wordpress-uploads-not-shared",
  layer: "pool",
  summary: "a WordPress pool of two or more hosts without a shared uploads volume",
  check: (g) =>
    g.pools
      .filter((p) => p.app === "wordpress" && p.members.length >= 2 && p.volume === undefined)
      .map((p) => ({
        code: "wordpress-uploads-not-shared",
        severity: "error" as const,
        layer: "pool" as const,
        message: `WordPress pool '${p.name}' has ${p.members.length} hosts and no shared volume, so each keeps its own wp-content/uploads and a file uploaded through one host is missing on ${p.members.length === 2 ? "the other" : "the others"}`,
        fix: `add a glusterfs volume under volumes: and set pools.${p.name}.volume to its name`,
        path: ["pools", p.name],
      })),
};
