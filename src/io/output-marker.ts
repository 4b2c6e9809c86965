// The marker that makes a folder hacompile's to replace. Every generation
// holds `.hacompile-output`, which lists every file the build wrote there. A
// later build replaces a folder only when it holds this marker and nothing
// the marker does not list, and then deletes only the listed files: a folder
// is never recognised by its looks (a graph.json), and a file someone added
// to an output stops the build instead of being deleted with it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const MARKER = ".hacompile-output";

const HEADER = [
  "# Written by hacompile build. The next build replaces this folder: it deletes the",
  "# files listed below and nothing else, and refuses to run while the folder holds",
  "# any file not listed here. Keep your own files elsewhere.",
];

export function markerContent(paths: readonly string[]): string {
  return [...HEADER, ...paths, ""].join("\n");
}

/** The files a marker lists, relative to its folder; undefined when there is no marker. */
export function readMarker(dir: string): ReadonlySet<string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, MARKER), "utf8");
  } catch {
    return undefined;
  }
  if (!text.startsWith(HEADER[0]!)) return undefined;
  return new Set(text.split("\n").filter((l) => l !== "" && !l.startsWith("#")));
}

/**
 * The first entry below `dir` that the marker does not list (a file, a link,
 * or a folder on no listed file's path), or undefined when there is none.
 */
export function firstForeign(dir: string, listed: ReadonlySet<string>): string | undefined {
  const folders = new Set<string>();
  for (const p of listed) for (let i = p.indexOf("/"); i >= 0; i = p.indexOf("/", i + 1)) folders.add(p.slice(0, i));
  const walk = (rel: string): string | undefined => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && folders.has(p)) {
        const found = walk(p);
        if (found !== undefined) return found;
      } else if (!(listed.has(p) && !e.isDirectory()) && p !== MARKER) {
        return p;
      }
    }
    return undefined;
  };
  return walk("");
}
