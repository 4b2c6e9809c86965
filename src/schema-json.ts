// schema/topology.schema.json is generated from the zod schema, never edited:
// `npm run schema` writes it and a test fails when it is stale.
import { z } from "zod";
import { Topology } from "../schema/topology.js";

export const SCHEMA_ID = "urn:hacompile:topology";

export function topologyJsonSchema(): string {
  // io "input": the file a user writes, where defaulted keys are optional.
  const { $schema, ...schema } = z.toJSONSchema(Topology, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  // A stable identifier for editors and $ref; a URN, as the schema has no home URL of its own.
  return JSON.stringify({ $schema, $id: SCHEMA_ID, ...schema }, null, 2) + "\n";
}
