// Writes schema/topology.schema.json from the zod schema (npm run schema).
import { writeFileSync } from "node:fs";
import { topologyJsonSchema } from "../src/schema-json.js";

const target = new URL("../../schema/topology.schema.json", import.meta.url);
writeFileSync(target, topologyJsonSchema());
process.stdout.write(`wrote ${target.pathname}\n`);
