// Where compiled templates come from. This module compiles a template from
// its file on first use; the bundle (scripts/bundle.mjs) replaces it with a
// table of the same functions compiled at build time by templateSource, so
// the shipped CLI reads no template file and never loads ejs.
import { readFileSync } from "node:fs";
import ejs from "ejs";

export type TemplateFn = (data: object) => string;

/**
 * Strict mode, no `with`, data as `v`. No HTML escaping: these are config
 * files, and every value is quoted for its own language by
 * src/render/common/quote.ts before it reaches a template. No compileDebug: it only
 * adds line bookkeeping to every statement (renderTemplate names the
 * template in the error instead).
 */
export const EJS_OPTIONS = { strict: true, _with: false, localsName: "v", compileDebug: false } as const;

/** `<%= x %>` writes String(x). */
export const escapeFn = (s: unknown): string => String(s);

// From dist/src/render/common/ back to the package root.
const ROOT = new URL("../../../../", import.meta.url);

/**
 * `path` is relative to the package root, e.g. "src/render/nginx/lb-nginx.conf.ejs".
 * The function is built from the same body the bundle embeds, so both run
 * the same code (and skip ejs's per-call copy of the data).
 */
export function compiledTemplate(path: string): TemplateFn {
  const body = templateSource(readFileSync(new URL(path, ROOT), "utf8"), path);
  const fn = new Function(EJS_OPTIONS.localsName, "escapeFn", body) as (v: object, esc: typeof escapeFn) => string;
  return (data) => fn(data, escapeFn);
}

/**
 * The body of the function ejs compiles `text` into, called with (v,
 * escapeFn): what the bundle embeds. ejs prints the body with its `debug`
 * option, its documented way to show the generated code.
 */
export function templateSource(text: string, path: string): string {
  const log = console.log;
  let body: string | undefined;
  console.log = (s: unknown): void => {
    body = String(s);
  };
  try {
    ejs.compile(text, { ...EJS_OPTIONS, escape: escapeFn, filename: path, debug: true });
  } finally {
    console.log = log;
  }
  if (body === undefined) throw new Error(`ejs printed no source for ${path}`);
  return body;
}
