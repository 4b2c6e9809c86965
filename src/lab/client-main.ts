// The lab's client: run by node inside the client namespace (the lab's
// "internet"), it sends HTTP requests to the VIP at a fixed rate and prints
// one JSON record per request. The job comes on stdin, so a form's secrets
// (the WordPress admin password) never show in a process list.
import { request } from "node:http";
import { performance } from "node:perf_hooks";

export interface HttpRequestSpec {
  readonly path: string;
  readonly method?: "GET" | "POST";
  /** application/x-www-form-urlencoded body. */
  readonly form?: Readonly<Record<string, string>>;
}

export interface HttpJob {
  readonly address: string;
  /** Source address (the client's admin-network one), or the default. */
  readonly localAddress?: string;
  readonly port: number;
  /** The Host header: Debian's WordPress picks its config by it. */
  readonly host: string;
  /** Request i uses requests[i % length]. */
  readonly requests: readonly HttpRequestSpec[];
  readonly count: number;
  /** Requests per second, started on schedule whether or not earlier ones finished. */
  readonly rate: number;
  readonly timeoutMs: number;
  /** Substrings to look for in each body; `has` reports them in order. */
  readonly needles: readonly string[];
}

export interface HttpRecord {
  readonly i: number;
  readonly path: string;
  /** Epoch milliseconds (fractional), comparable with the lab's clock. */
  readonly start: number;
  readonly end: number;
  /** 0 when no response came. */
  readonly status: number;
  readonly servedBy: string;
  readonly location: string;
  readonly error: string;
  readonly has: readonly boolean[];
}

/** Hard bounds: a job never runs longer than this, whatever it asks. */
const MAX_COUNT = 20_000;
const MAX_SECONDS = 120;
const MAX_BODY = 1 << 20;

const now = (): number => performance.timeOrigin + performance.now();

function one(job: HttpJob, i: number): Promise<HttpRecord> {
  const spec = job.requests[i % job.requests.length]!;
  const body = spec.form ? new URLSearchParams(spec.form as Record<string, string>).toString() : undefined;
  const start = now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<HttpRecord, "i" | "path" | "start" | "end">): void => {
      if (done) return;
      done = true;
      resolve({ i, path: spec.path, start, end: now(), ...r });
    };
    const req = request(
      {
        host: job.address,
        port: job.port,
        ...(job.localAddress !== undefined ? { localAddress: job.localAddress } : {}),
        path: spec.path,
        method: spec.method ?? "GET",
        agent: false,
        headers: {
          Host: job.host,
          Connection: "close",
          ...(body !== undefined ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const served = res.headers["x-served-by"];
          finish({
            status: res.statusCode ?? 0,
            servedBy: typeof served === "string" ? served : "",
            location: typeof res.headers.location === "string" ? res.headers.location : "",
            error: "",
            has: job.needles.map((n) => text.includes(n)),
          });
        });
        res.on("error", (e) => finish({ status: 0, servedBy: "", location: "", error: e.message, has: [] }));
      },
    );
    req.setTimeout(job.timeoutMs, () => {
      req.destroy(new Error(`timeout after ${job.timeoutMs} ms`));
    });
    req.on("error", (e) => finish({ status: 0, servedBy: "", location: "", error: (e as NodeJS.ErrnoException).code ?? e.message, has: [] }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function runJob(job: HttpJob): Promise<HttpRecord[]> {
  const count = Math.min(job.count, MAX_COUNT, Math.floor(job.rate * MAX_SECONDS));
  const t0 = now();
  const pending: Promise<HttpRecord>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / job.rate;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(one(job, i));
  }
  return Promise.all(pending);
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const job = JSON.parse(Buffer.concat(chunks).toString("utf8")) as HttpJob;
  const records = await runJob(job);
  process.stdout.write(JSON.stringify(records) + "\n");
}

void main().catch((e: unknown) => {
  process.stderr.write(`hacompile lab client: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
