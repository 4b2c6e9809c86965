// schema/topology.schema.json is generated from the zod schema, never edited:
// `npm run schema` writes it and a test fails when it is stale.
import { z } from "zod";
import { Topology } from "../schema/topology.js";

export function topologyJsonSchema(): string {
  // io "input": the file a user writes, where defaulted keys are optional.
  const schema = z.toJSONSchema(Topology, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  return JSON.stringify(schema, null, 2) + "\n";
}
