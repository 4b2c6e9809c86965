// Reads a topology or secrets file as UTF-8 text, never more than the size
// limit: a 50 MB file, /dev/zero or an endless pipe is refused after reading
// one byte past the limit, instead of being read whole into memory.
import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import type { Diagnostic, Position } from "../diagnostics.js";
import { MAX_FILE_BYTES } from "../load/limits.js";

export type TextRead = { readonly text: string } | { readonly diagnostic: Diagnostic };

const at = (file: string, code: string, message: string, pos: Position = { line: 1, col: 1 }): TextRead => ({
  diagnostic: { code, severity: "error", message, path: [], file, pos },
});

function reason(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a folder, not a file";
    case "EACCES":
      return "permission denied";
    default:
      return "cannot read the file";
  }
}

export function readTextFile(file: string, limit = MAX_FILE_BYTES): TextRead {
  const buf = Buffer.alloc(limit + 1);
  let size = 0;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    return at(file, "read-error", reason(e));
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, size, buf.length - size, null);
      if (n === 0) break;
      size += n;
      if (size > limit) return at(file, "file-too-large", `the file is larger than the limit of ${limit} bytes`);
    }
  } catch (e) {
    return at(file, "read-error", reason(e));
  } finally {
    closeSync(fd);
  }
  const bytes = buf.subarray(0, size);
  const text = bytes.toString("utf8");
  if (!isUtf8(bytes)) {
    // The decoder put U+FFFD where the bytes went wrong: point there.
    const i = Math.max(0, text.indexOf("\uFFFD"));
    const before = text.slice(0, i);
    const pos = { line: before.split("\n").length, col: i - before.lastIndexOf("\n") };
    return at(file, "not-utf8", "the file is not UTF-8 text (an invalid byte sequence starts here)", pos);
  }
  return { text };
}
