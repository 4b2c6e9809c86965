// The compose target: the whole topology on one Docker host, one container
// per topology host, each running that host's rendered files under
// supervisord. Layout of the compose/ folder:
//   compose.yaml, .env               the project (name in .env: no top-level `name:`, for Compose v1)
//   images/<kind>/Dockerfile         one image per kind of host (images.ts)
//   hosts/<host>/<path>              files bind-mounted read-only at <path>
//   secrets/<host>/<path>            restricted files, compose secrets, 0600 on disk
import { generatedBy } from "../../src/render/common/header.js";
import { Document } from "yaml";
import type { Graph } from "../../src/graph/model.js";
import type { HostPlan } from "../../src/render/types.js";
import { fastYaml } from "../shared/yaml.js";
import type { OutFile, Target } from "../types.js";
import { hostDependencies } from "./deps.js";
import { dockerfile, ENTRANCE_KIND, entranceDockerfile, imageName, planKinds } from "./images.js";
import { initScript, INIT_PATH, placeFiles, runPlan, SUPERVISOR_CONF_PATH, supervisordConf } from "./init.js";
import { planIpam, siteHosts } from "./net.js";
import { hostService, namedVolumes, NETWORK, privileges, type YamlMap } from "./service.js";

/** On disk, a restricted file is readable by the building user only; the entrypoint gives it its real owner and mode. */
const SECRET_FILE_MODE = 0o600;

/** Underscore: not a DNS label character, so no topology host can be called this. */
const ENTRANCE_PREFIX = "entrance_";
const ENTRANCE_PROFILE = "entrance";

function entranceServices(graph: Graph): YamlMap {
  const vip = graph.loadBalancer.vip;
  const forwards: { name: string; port: number; variable: string; local: number }[] = [
    { name: "http", port: graph.ports.http, variable: "HACOMPILE_HTTP_PORT", local: 8080 },
  ];
  if (graph.loadBalancer.tls) forwards.push({ name: "https", port: graph.ports.https, variable: "HACOMPILE_HTTPS_PORT", local: 8443 });
  const out: YamlMap = {};
  for (const f of forwards) {
    out[`${ENTRANCE_PREFIX}${f.name}`] = {
      image: imageName(graph, ENTRANCE_KIND),
      build: { context: `./images/${ENTRANCE_KIND}` },
      profiles: [ENTRANCE_PROFILE],
      command: ["socat", `TCP-LISTEN:${f.port},fork,reuseaddr`, `TCP:${vip}:${f.port}`],
      ports: [`\${HACOMPILE_ENTRANCE_ADDRESS:-127.0.0.1}:\${${f.variable}:-${f.local}}:${f.port}`],
      networks: [NETWORK],
      healthcheck: {
        test: ["CMD", "socat", "-u", "/dev/null", `TCP:${vip}:${f.port},connect-timeout=2`],
        interval: "10s",
        timeout: "5s",
        retries: 3,
      },
      depends_on: Object.fromEntries(graph.loadBalancer.hosts.map((h) => [h, { condition: "service_healthy" }])),
    };
  }
  return out;
}

function header(graph: Graph, notes: readonly string[]): string {
  const lines = [
    generatedBy(graph),
    "",
    "The whole topology on ONE Docker host: each topology host is a container with",
    "the host's name and address, running that host's generated files under",
    "supervisord. A rehearsal and development stack: it does not protect against",
    "losing that Docker host. The project name is in .env.",
    "",
    "  docker compose up -d --build        (or: docker-compose up -d --build)",
    "",
    "Nothing is published. `--profile entrance` adds a forward from",
    "127.0.0.1:8080 on the Docker host to the VIP (HACOMPILE_ENTRANCE_ADDRESS and",
    "HACOMPILE_HTTP_PORT change it).",
  ];
  if (notes.length > 0) lines.push("", ...notes);
  return lines.map((l) => (l === "" ? "" : ` ${l}`)).join("\n");
}

function emit(graph: Graph, plans: readonly HostPlan[]): OutFile[] {
  const files: OutFile[] = [];
  const ipam = planIpam(graph);
  const { kinds, byHost } = planKinds(graph, plans);
  const deps = hostDependencies(graph);
  const extraHosts = siteHosts(graph);
  const services: YamlMap = {};
  const volumes: YamlMap = {};
  const secrets: YamlMap = {};
  const notes: string[] = [];
  if (graph.network.interface !== "eth0") {
    notes.push(
      `WARNING: the topology names the interface ${graph.network.interface}; in a container it is eth0,`,
      "so the generated keepalived configuration will not find its interface here.",
    );
  }
  for (const plan of plans) {
    const name = plan.host.name;
    const kind = byHost.get(name);
    if (!kind) throw new Error(`compose: no image kind for ${name}`);
    const placement = placeFiles(plan);
    const rp = runPlan(plan);
    const pv = privileges(graph, plan);
    const vols = namedVolumes(plan.host);
    for (const s of pv.hostSysctls) notes.push(`${name} needs ${s}, which Docker cannot set per container: set it on the Docker host.`);
    for (const v of vols) volumes[v.name] = {};
    for (const x of placement.installed) {
      const path = `secrets/${name}${x.file.path}`;
      secrets[x.secret] = { file: `./${path}` };
      files.push({ path, content: x.file.content, mode: SECRET_FILE_MODE });
    }
    for (const f of placement.mounted) files.push({ path: `hosts/${name}${f.path}`, content: f.content, mode: f.mode });
    files.push({ path: `hosts/${name}${INIT_PATH}`, content: initScript(graph, plan, placement, rp), mode: 0o755 });
    files.push({ path: `hosts/${name}${SUPERVISOR_CONF_PATH}`, content: supervisordConf(graph, plan, rp), mode: 0o644 });
    services[name] = hostService({ graph, plan, kind, placement, privileges: pv, volumes: vols, dependsOn: deps.get(name) ?? [], extraHosts });
  }
  Object.assign(services, entranceServices(graph));
  for (const k of kinds) files.push({ path: `${k.dir}/Dockerfile`, content: dockerfile(graph, k), mode: 0o644 });
  files.push({ path: `images/${ENTRANCE_KIND}/Dockerfile`, content: entranceDockerfile(graph), mode: 0o644 });

  const compose: YamlMap = {
    services,
    networks: {
      [NETWORK]: {
        driver: "bridge",
        ipam: { driver: "default", config: [{ subnet: ipam.subnet, ip_range: ipam.ipRange, gateway: ipam.gateway }] },
      },
    },
  };
  if (Object.keys(volumes).length > 0) compose["volumes"] = volumes;
  if (Object.keys(secrets).length > 0) compose["secrets"] = secrets;
  files.push({ path: "compose.yaml", content: composeYaml(compose, header(graph, notes)), mode: 0o644 });
  files.push({ path: ".env", content: `# ${generatedBy(graph)}\nCOMPOSE_PROJECT_NAME=${graph.name}\n`, mode: 0o644 });
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * YAML 1.1 rules for quoting: docker-compose 1.29 reads the file with PyYAML,
 * which takes on/off/yes/no as booleans and 1:20 as a base-60 number.
 */
export function composeYaml(compose: YamlMap, comment: string): string {
  const fast = fastYaml(compose, { comment, aliasDuplicateObjects: false });
  if (fast !== undefined) return fast;
  const doc = new Document(compose, { version: "1.1", aliasDuplicateObjects: false });
  doc.commentBefore = comment;
  return doc.toString({ lineWidth: 0 });
}

export const compose: Target = {
  name: "compose",
  description: "docker compose: the whole topology on one Docker host, one container per host (a rehearsal and dev stack)",
  emit: (graph, plans) => ({ files: emit(graph, plans), diagnostics: [] }),
};
