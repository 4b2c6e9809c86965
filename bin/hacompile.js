#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle/cli.cjs, made by `npm run build`, which
// `npm ci` runs through `prepare`) with V8's code cache beside it, so that
// start-up neither parses nor compiles the functions a build needs (see
// scripts/bundle.mjs). When tsc has compiled since the last bundle (during
// development, `npx tsc -p .` alone), the bundle may be stale, so the modules
// tsc wrote in dist/src run instead.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const bundle = fileURLToPath(new URL("../dist/bundle/cli.cjs", import.meta.url));
const mtime = (p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;

if (mtime(bundle) < mtime(fileURLToPath(new URL("../dist/src/cli.js", import.meta.url)))) {
  await import("../dist/src/cli.js");
} else {
  let cachedData;
  try {
    cachedData = readFileSync(`${bundle}.cache`);
  } catch {
    // No cache: V8 compiles as usual.
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
  const script = new Script(wrapped, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  // Set only by scripts/bundle.mjs for its training run.
  const cacheOut = process.env.HACOMPILE_CODE_CACHE_OUT;
  if (cacheOut) process.once("exit", () => writeFileSync(cacheOut, script.createCachedData()));
}
