// Writes docs/topology-reference.md from the zod schema (npm run docs:reference).
// test/reference.test.ts fails when the file is stale.
import { writeFileSync } from "node:fs";
import { referenceMarkdown } from "../src/reference/format.js";
import { topologyKeys } from "../src/reference/keys.js";

const target = new URL("../../docs/topology-reference.md", import.meta.url);
writeFileSync(target, referenceMarkdown(topologyKeys()));
process.stdout.write(`wrote ${target.pathname}\n`);
