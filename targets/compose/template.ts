// The compose target's own templates (Dockerfile, supervisord.conf, the init
// script), with the same EJS options as src/render/ejs.ts: strict, no `with`,
// no HTML escaping, data as `v`. src/render/ejs.ts is bound to the renderers'
// template folder, hence this small loader for targets/compose/templates/.
import { readFileSync } from "node:fs";
import ejs from "ejs";

// From dist/targets/compose/ back to the package root, as src/render/ejs.ts does.
const templateDir = new URL("../../../targets/compose/templates/", import.meta.url);
const cache = new Map<string, (data: object) => string>();

export function renderComposeTemplate(name: string, data: object): string {
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
