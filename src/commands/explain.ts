// `hacompile explain <key path>`: a key's type, default, bounds and meaning,
// from the same schema descriptions as docs/topology-reference.md.
import { explainText } from "../reference/format.js";
import { canonicalPath, topologyKeys } from "../reference/keys.js";
import { didYouMean } from "../suggest.js";
import { EXIT_OK, UsageError } from "./common.js";

export async function explain(typed: string): Promise<number> {
  const r = canonicalPath(typed);
  if ("unknown" in r) {
    const where = r.at === "" ? "the top level" : r.at;
    throw new UsageError(`no key '${r.unknown}' in ${where}${didYouMean(r.unknown, r.known)} (keys: ${r.known.join(", ")})`);
  }
  const key = topologyKeys().find((k) => k.path === r.path);
  // canonicalPath only returns paths it found among the keys.
  if (key === undefined) throw new Error(`explain: ${r.path} not among the keys`);
  process.stdout.write(explainText(key));
  return EXIT_OK;
}
