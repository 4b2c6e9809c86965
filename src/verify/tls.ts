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

/** Puts `cert` and `key` at the named paths under a fresh folder. */
function layer(paths: TlsPaths, place: (dir: string) => Promise<string | undefined>): Promise<{ dir: string; error?: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-verify-tls-"));
  for (const p of [paths.certificate, paths.key]) mkdirSync(dirname(join(dir, p)), { recursive: true, mode: 0o700 });
  return place(dir).then((error) => (error === undefined ? { dir } : { dir, error }));
}

export async function stageTls(paths: TlsPaths, given: TlsFiles | undefined, domain: string): Promise<TlsStage> {
  if (given !== undefined) {
    const { dir } = await layer(paths, async (d) => {
      copyFileSync(given.cert, join(d, paths.certificate));
      copyFileSync(given.key, join(d, paths.key));
      return undefined;
    });
    return {
      lower: dir,
      note: `TLS: nginx loaded the certificate ${given.cert} and key ${given.key} (--tls-cert, --tls-key) at ${paths.certificate} and ${paths.key}`,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (existsSync(paths.certificate) && existsSync(paths.key))
    return { note: `TLS: nginx loaded this machine's ${paths.certificate} and ${paths.key}`, cleanup: () => undefined };
  // EC P-256: generated in milliseconds; one day is enough for a check.
  const { dir, error } = await layer(paths, async (d) => {
    const r = await runTool("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", `/CN=${domain}`, "-keyout", join(d, paths.key), "-out", join(d, paths.certificate),
    ]);
    return r.code === 0 ? undefined : r.stderr.trim().split("\n")[0] ?? "openssl failed";
  });
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
