// The gzip form of a user-data too big for some clouds (cloud-init detects
// gzip by its magic bytes). Deterministic: zlib writes mtime 0 and no file
// name with default options; the OS byte is pinned because zlib sets it per
// platform (3 = Unix), so a build on macOS gives the same bytes.
import { gzipSync } from "node:zlib";

const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

export function gzipDeterministic(text: string): Buffer {
  const out = gzipSync(Buffer.from(text, "utf8"), { level: 9 });
  out[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
  return out;
}

/** 16 KiB: the limit of several clouds (e.g. AWS EC2 user-data, before base64). */
export const USER_DATA_LIMIT = 16 * 1024;
