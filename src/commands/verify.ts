// `hacompile verify <output-dir>`: hands every generated file to the real
// program that reads it. Needs root for its throwaway namespaces.
import { loadContext, runChecks, summarize, VerifyInputError } from "../verify/index.js";
import { EXIT_INVALID, UsageError } from "./common.js";

export async function verifyCommand(outDir: string, opts: { tool?: string }): Promise<number> {
  let ctx;
  try {
    ctx = loadContext(outDir);
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
