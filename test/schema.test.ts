// The JSON schema is generated from zod and must not be stale; every example
// points editors at it and is accepted by it (checked with Ajv, independently
// of zod).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { topologyJsonSchema } from "../src/schema-json.js";
import { caseDirs, ROOT } from "./helpers.js";

const schemaPath = join(ROOT, "schema/topology.schema.json");

test("schema/topology.schema.json is up to date (npm run schema)", () => {
  assert.is(readFileSync(schemaPath, "utf8"), topologyJsonSchema(), "stale: run `npm run schema` and commit the result");
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")) as object);

for (const ex of caseDirs(join(ROOT, "examples"))) {
  const text = readFileSync(join(ROOT, "examples", ex, "topology.yaml"), "utf8");
  test(`example ${ex} names the schema for editors`, () => {
    assert.match(text.split("\n")[0] ?? "", /^# yaml-language-server: \$schema=\.\.\/\.\.\/schema\/topology\.schema\.json$/);
  });
  test(`example ${ex} is valid under the JSON schema`, () => {
    const ok = validate(parse(text));
    assert.ok(ok, JSON.stringify(validate.errors));
  });
}

test("the JSON schema rejects an unknown key, as the compiler does", () => {
  const text = readFileSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), "utf8");
  const doc = parse(text) as Record<string, unknown>;
  assert.is(validate({ ...doc, extra: 1 }), false);
});

test.run();
