// The load balancers' certificate and key are the operator's: the topology
// only names their paths, and nginx -t refuses a config whose certificate it
// cannot load. So verify gives nginx a pair at the named paths, inside the
// checks' sandboxes only: the operator's own files when named
// (--tls-cert/--tls-key), the files at those paths when this machine has
// them, otherwise a throwaway self-signed pair made by openssl for this run.
// Which one was used is said in the output, so a pass never claims to have
// checked a certificate it did not see.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runTool } from "./run.js";

/** The paths the topology names (graph.json's loadBalancer.tls). */
export interface TlsPaths {
  readonly certificate: string;
  readonly key: string;
}

/** Files the operator named on the command line. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** What the nginx checks run with. */
export interface TlsStage {
  /** A folder mirroring / with the pair at the named paths, laid under the host's files; none when this machine's own files serve. */
  readonly lower?: string;
  /** One line on which pair nginx loaded. */
  readonly note: string;
  readonly cleanup: () => void;
}

/** A fresh folder mirroring / with the folders of the named paths, owner-only: it will hold a private key. */
function freshLayer(paths: TlsPaths): string {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-verify-tls-"));
  for (const p of [paths.certificate, paths.key]) mkdirSync(dirname(join(dir, p)), { recursive: true, mode: 0o700 });
  return dir;
}

/** Makes a self-signed pair at the named paths under `dir`; the error line when openssl fails. EC P-256: made in milliseconds. */
async function throwawayPair(dir: string, paths: TlsPaths, domain: string): Promise<string | undefined> {
  const r = await runTool("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", `/CN=${domain}`, "-keyout", join(dir, paths.key), "-out", join(dir, paths.certificate),
  ]);
  return r.code === 0 ? undefined : (r.stderr.trim().split("\n")[0] ?? "openssl failed");
}

/** A top-level folder of the named paths that this machine lacks: the sandbox overlays existing folders only. */
function missingTop(paths: TlsPaths): string | undefined {
  return [paths.certificate, paths.key].map((p) => `/${p.split("/")[1] ?? ""}`).find((top) => !existsSync(top));
}

export async function stageTls(paths: TlsPaths, given: TlsFiles | undefined, domain: string): Promise<TlsStage> {
  const top = missingTop(paths);
  if (top !== undefined)
    return { note: `TLS: ${top} does not exist on this machine, so no pair can be laid at ${paths.certificate} inside the sandbox and nginx checks of TLS configs fail; create an empty ${top} to check them`, cleanup: () => undefined };
  if (given !== undefined) {
    const dir = freshLayer(paths);
    copyFileSync(given.cert, join(dir, paths.certificate));
    copyFileSync(given.key, join(dir, paths.key));
    return {
      lower: dir,
      note: `TLS: nginx loaded the certificate ${given.cert} and key ${given.key} (--tls-cert, --tls-key) at ${paths.certificate} and ${paths.key}`,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (existsSync(paths.certificate) && existsSync(paths.key))
    return { note: `TLS: nginx loaded this machine's ${paths.certificate} and ${paths.key}`, cleanup: () => undefined };
  const dir = freshLayer(paths);
  const error = await throwawayPair(dir, paths, domain);
  if (error !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    return { note: `TLS: no certificate at ${paths.certificate} and no throwaway pair (openssl: ${error}); nginx checks of TLS configs fail`, cleanup: () => undefined };
  }
  return {
    lower: dir,
    note: `TLS: ${paths.certificate} and ${paths.key} are not on this machine, so nginx loaded a throwaway self-signed pair at those paths; pass --tls-cert and --tls-key to check the real ones`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
