// The key reference (issue 20): docs/topology-reference.md is generated from
// the schema and not stale, every key has a description, and the JSON Schema
// carries an $id and the bounds the CLI enforces.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { referenceMarkdown } from "../src/reference/format.js";
import { topologyKeys } from "../src/reference/keys.js";
import { MAX_HOSTS } from "../schema/topology.js";
import { SCHEMA_ID } from "../src/schema-json.js";
import { ROOT } from "./helpers.js";

test("docs/topology-reference.md is up to date (npm run docs:reference)", () => {
  const text = readFileSync(join(ROOT, "docs/topology-reference.md"), "utf8");
  assert.is(text, referenceMarkdown(topologyKeys()), "stale: run `npm run docs:reference` and commit the result");
});

test("every key of the schema has a description", () => {
  const missing = topologyKeys().filter((k) => k.description === undefined || k.description.trim() === "").map((k) => k.path);
  assert.equal(missing, []);
});

test("the keys a newcomer looks for are in the reference", () => {
  const paths = new Set(topologyKeys().map((k) => k.path));
  for (const p of [
    "loadbalancer.tls",
    "loadbalancer.tls.certificate",
    "site.upload_max_mb",
    "pools.<name>.app",
    "pools.<name>.port",
    "volumes.<name>.brick_path",
    "databases.<name>.user",
    "databases.<name>.port",
    "loadbalancer.failover.router_id",
    "loadbalancer.failover.anchor_ips",
    "backup.path",
  ])
    assert.ok(paths.has(p), p);
  const app = topologyKeys().find((k) => k.path === "pools.<name>.app");
  assert.is(app?.type, "one of wordpress, static, http");
});

const schema = JSON.parse(readFileSync(join(ROOT, "schema/topology.schema.json"), "utf8")) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const example = parse(readFileSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), "utf8")) as Record<string, Record<string, unknown>>;
const withFailover = (failover: Record<string, unknown>): unknown => ({ ...example, loadbalancer: { ...example["loadbalancer"], failover } });

test("the JSON Schema has an $id", () => {
  assert.is(schema["$id"], SCHEMA_ID);
});

test("the JSON Schema carries the bounds the CLI enforces: router_id 1-255, priorities 1-254", () => {
  assert.ok(validate(withFailover({ mode: "vrrp", router_id: 51, priorities: [150, 100] })), JSON.stringify(validate.errors));
  assert.is(validate(withFailover({ mode: "vrrp", router_id: 999 })), false);
  assert.is(validate(withFailover({ mode: "vrrp", router_id: 0 })), false);
  assert.is(validate(withFailover({ mode: "vrrp", priorities: [-5, 100] })), false);
  assert.is(validate(withFailover({ mode: "vrrp", priorities: [255, 100] })), false);
});

// --- The README and SECURITY.md agree with the code and the tree ------------

test("README and SECURITY.md state the host limit the code enforces", () => {
  const limit = MAX_HOSTS.toLocaleString("en-US");
  for (const doc of ["README.md", "SECURITY.md"]) {
    const row = /^\| hosts \| ([^|]+) \|/m.exec(readFileSync(join(ROOT, doc), "utf8"))?.[1]?.trim();
    assert.is(row, limit, doc);
  }
});

test("README and SECURITY.md name no folder that does not exist", () => {
  for (const doc of ["README.md", "SECURITY.md"]) {
    const text = readFileSync(join(ROOT, doc), "utf8");
    for (const [, path] of text.matchAll(/`((?:test|src|scripts|docs|examples|schema|targets)\/[A-Za-z0-9_./-]*)/g)) {
      const folder = path!.endsWith("/") ? path! : dirname(path!);
      assert.ok(existsSync(join(ROOT, folder)), `${doc} names ${path}, whose folder ${folder} does not exist`);
    }
  }
});

test.run();
