#!/usr/bin/env node
// Runs the uvu suites compiled under dist/test and ends with the one line CI
// reads: "N passed, N failed". uvu's own summary is kept above it for people.
// FILTER=<regex> runs only the matching test files.
import { spawn } from "node:child_process";

const pattern = process.env.FILTER ? `${process.env.FILTER}.*\\.test\\.js$` : "\\.test\\.js$";
// NO_COLOR alone turns colour off (uvu's and hacompile's). Setting FORCE_COLOR
// as well made Node warn that one of them is ignored, in every run.
const { FORCE_COLOR: _ignored, ...inherited } = process.env;
const child = spawn(process.execPath, ["node_modules/uvu/bin.js", "dist/test", pattern], {
  env: { ...inherited, NO_COLOR: "1" },
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
child.stdout.on("data", (d) => {
  out += d;
  process.stdout.write(d);
});
child.on("close", (code) => {
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  let failed = total - passed - skipped;
  // A crash before uvu's summary still has to fail the run.
  if (code !== 0 && failed === 0) failed = 1;
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  process.exitCode = code === 0 && failed === 0 ? 0 : 1;
});
