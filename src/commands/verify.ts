// `hacompile verify <output-dir>`: hands every generated file to the real
// program that reads it. Needs root for its throwaway namespaces.
import { loadContext, runChecks, summarize, VerifyInputError } from "../verify/index.js";
import { EXIT_INVALID, UsageError } from "./common.js";

export interface VerifyOptions {
  tool?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export async function verifyCommand(outDir: string, opts: VerifyOptions): Promise<number> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new UsageError("--tls-cert and --tls-key go together: the certificate and its key");
  const given = opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { cert: String(opts.tlsCert), key: String(opts.tlsKey) } : undefined;
  let ctx;
  try {
    ctx = loadContext(outDir, given);
  } catch (e) {
    if (e instanceof VerifyInputError) {
      process.stderr.write(`hacompile: ${e.message}\n`);
      return EXIT_INVALID;
    }
    throw e;
  }
  if (process.getuid?.() !== 0) throw new UsageError("verify needs root: each host is checked in its own network and mount namespace");
  const results = await runChecks(ctx, opts.tool);
  const s = summarize(results, process.env["CI"] === "true");
  process.stdout.write(s.lines.join("\n") + "\n");
  return s.exitCode;
}
