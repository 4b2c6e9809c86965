// Templates hold layout only; they receive ready-made values. Each is
// compiled once per process. Options: strict mode, no `with`, no HTML
// escaping (these are config files, and every value is quoted for its own
// language by src/render/quote.ts before it reaches a template).
import { readFileSync } from "node:fs";
import ejs from "ejs";

const templateDir = new URL("../../../src/render/templates/", import.meta.url);
const cache = new Map<string, (data: object) => string>();

export function renderTemplate(name: string, data: object): string {
  let fn = cache.get(name);
  if (!fn) {
    const src = readFileSync(new URL(name, templateDir), "utf8");
    const compiled = ejs.compile(src, {
      strict: true,
      _with: false,
      localsName: "v",
      escape: (s: unknown) => String(s),
      filename: name,
    });
    fn = (data: object) => compiled(data) as string;
    cache.set(name, fn);
  }
  return fn(data);
}
