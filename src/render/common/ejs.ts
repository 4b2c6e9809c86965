// Templates hold layout only; they receive ready-made values. Each is
// compiled once per process (or at build time, see compiled-templates.ts).
import { compiledTemplate, type TemplateFn } from "./compiled-templates.js";

export type RenderTemplate = (name: string, data: object) => string;

/**
 * A renderer for the templates in `dir` (relative to the package root):
 * each service folder under src/render/ and each target keeps its templates
 * beside its code and makes its own renderer for them.
 */
export function templateRenderer(dir: string): RenderTemplate {
  const cache = new Map<string, TemplateFn>();
  return (name, data) => {
    let fn = cache.get(name);
    if (!fn) {
      fn = compiledTemplate(`${dir}/${name}`);
      cache.set(name, fn);
    }
    try {
      return fn(data);
    } catch (e) {
      throw new Error(`template ${dir}/${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };
}
