#!/usr/bin/env node
// Runs the bundled CLI (dist/bundle, made by `npm run build`, which `npm ci`
// runs through `prepare`): a few files to load instead of ~250 modules.
// When tsc has compiled since the last bundle (during development,
// `npx tsc -p .` alone), the bundle may be stale, so the modules tsc wrote
// in dist/src run instead.
import { statSync } from "node:fs";

const mtime = (p) => statSync(new URL(p, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundled = mtime("../dist/bundle/cli.js") >= mtime("../dist/src/cli.js");
await import(bundled ? "../dist/bundle/cli.js" : "../dist/src/cli.js");
