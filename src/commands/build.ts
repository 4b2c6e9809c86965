// `hacompile build`: validate, complete the secrets, emit every target, and
// publish the output tree in one step.
import { join, resolve } from "node:path";
import { checkGraph } from "../check/index.js";
import { summaryLine } from "../check/format.js";
import { hasErrors } from "../diagnostics.js";
import { emit } from "../emit.js";
import { cryptoRandom, defaultSecretsPath, readSecretsFile, writeSecretsFile } from "../io/secrets-file.js";
import { writeTreeAtomic } from "../io/write-tree.js";
import { completeSecrets } from "../secrets.js";
import { targetByName, targets } from "../../targets/index.js";
import { systemdTarget, userDataWarnings } from "../../targets/systemd/index.js";
import type { Target } from "../../targets/types.js";
import { EXIT_INVALID, EXIT_OK, readTopology, report, UsageError } from "./common.js";

export interface BuildOptions {
  out?: string;
  target?: string;
  secrets?: string;
  frozenSecrets?: boolean;
  inlineSecrets?: boolean;
  json?: boolean;
}

function pickTargets(spec: string | undefined, inlineSecrets: boolean): Target[] {
  const names = spec === undefined || spec === "" ? targets.map((t) => t.name) : spec.split(",").map((n) => n.trim());
  return names.map((n) => {
    const t = targetByName(n);
    if (!t) throw new UsageError(`unknown target '${n}'; targets: ${targets.map((x) => x.name).join(", ")}`);
    // The one target option: secrets in cloud-init user-data only when asked.
    return n === "systemd" && inlineSecrets ? systemdTarget({ inlineSecrets: true }) : t;
  });
}

export async function build(file: string, opts: BuildOptions): Promise<number> {
  const chosen = pickTargets(opts.target, opts.inlineSecrets === true);
  const result = readTopology(file);
  report(result.diagnostics, opts.json === true);
  if (hasErrors(result.diagnostics) || !result.graph) return EXIT_INVALID;
  const graph = result.graph;

  const secretsPath = opts.secrets ?? defaultSecretsPath(file);
  const { secrets, generated } = completeSecrets(graph, readSecretsFile(secretsPath), cryptoRandom);
  if (generated.length > 0) {
    if (opts.frozenSecrets) {
      process.stderr.write(`${secretsPath}: ${generated.length} secret(s) missing and --frozen-secrets is set [secrets-missing]\n`);
      return EXIT_INVALID;
    }
    writeSecretsFile(secretsPath, secrets);
    // Names only: a secret's value never reaches a log.
    process.stderr.write(`generated ${generated.length} secret(s) in ${secretsPath} (mode 0600)\n`);
  }

  const { files } = emit(graph, secrets, chosen);
  const dest = resolve(opts.out ?? join("out", graph.name));
  writeTreeAtomic(dest, files);
  if (!opts.json) process.stdout.write(`wrote ${files.length} files to ${dest} (${chosen.map((t) => t.name).join(", ")})\n`);
  if (chosen.some((t) => t.name === "systemd"))
    for (const w of userDataWarnings(files)) process.stderr.write(`warning: ${w}\n`);
  process.stderr.write(summaryLine(checkGraph(graph, file)) + "\n");
  return EXIT_OK;
}
