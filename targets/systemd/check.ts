// Checks `cloud-init schema` cannot make: it accepts any unknown top-level
// key (a typo there is silently ignored on the VM) and knows nothing of our
// own invariants. Pure: text in, problems out (empty = fine).
import { parseDocument, isMap, isSeq, isScalar, type Node } from "yaml";

/** The only top-level keys this target writes; each is a cloud-init module's key. */
export const ALLOWED_TOP_LEVEL_KEYS: readonly string[] = ["package_update", "packages", "groups", "users", "write_files", "runcmd"];

const WRITE_FILE_KEYS = new Set(["path", "permissions", "owner", "defer", "encoding", "content"]);
const OWNER_RE = /^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$/;
const PERMS_RE = /^0[0-7]{3,4}$/;

function str(n: unknown): string | undefined {
  return isScalar(n) && typeof n.value === "string" ? n.value : undefined;
}

function isTrue(n: unknown): boolean {
  return isScalar(n) && n.value === true;
}

function checkWriteFiles(node: Node | null, problems: string[]): void {
  if (!isSeq(node)) {
    problems.push("write_files is not a list");
    return;
  }
  const seen = new Set<string>();
  let deferredSeen = false;
  node.items.forEach((item, i) => {
    const at = `write_files[${i}]`;
    if (!isMap(item)) return void problems.push(`${at} is not a mapping`);
    for (const pair of item.items) {
      const k = str(pair.key) ?? "";
      if (!WRITE_FILE_KEYS.has(k)) problems.push(`${at}: unexpected key '${k}'`);
    }
    const path = str(item.get("path", true));
    const perms = str(item.get("permissions", true));
    const owner = str(item.get("owner", true));
    const defer = isTrue(item.get("defer", true));
    const enc = str(item.get("encoding", true));
    if (path === undefined || !path.startsWith("/")) problems.push(`${at}: path must be an absolute path string`);
    else if (seen.has(path)) problems.push(`${at}: ${path} written twice`);
    else seen.add(path);
    if (perms === undefined || !PERMS_RE.test(perms)) problems.push(`${at}: permissions must be an octal string such as "0644"`);
    if (owner === undefined || !OWNER_RE.test(owner)) problems.push(`${at}: owner must be "user:group"`);
    if (str(item.get("content", true)) === undefined) problems.push(`${at}: content must be a string`);
    if (enc !== undefined && enc !== "b64") problems.push(`${at}: encoding must be b64 when present`);
    // Before the packages run only root exists for sure: everything else must wait for them.
    if (!defer && owner !== "root:root") problems.push(`${at}: ${path ?? "?"} is owned by ${owner ?? "?"} but not deferred`);
    if (defer) deferredSeen = true;
    else if (deferredSeen) problems.push(`${at}: root files must come before deferred ones`);
  });
}

function checkRuncmd(node: Node | null, problems: string[]): void {
  if (!isSeq(node)) return void problems.push("runcmd is not a list");
  node.items.forEach((item, i) => {
    // argv lists only: a string would go through a shell.
    if (!isSeq(item) || !item.items.every((w) => str(w) !== undefined)) problems.push(`runcmd[${i}] must be a list of strings`);
    else if (item.items.some((w) => str(w) === "sleep")) problems.push(`runcmd[${i}] relies on sleep`);
  });
}

export function checkUserData(text: string): string[] {
  const problems: string[] = [];
  if (!text.startsWith("#cloud-config\n")) problems.push("the first line must be #cloud-config");
  const doc = parseDocument(text, { version: "1.1" });
  for (const e of doc.errors) problems.push(`YAML: ${e.message}`);
  if (doc.errors.length > 0) return problems;
  const root = doc.contents;
  if (!isMap(root)) return [...problems, "the document is not a mapping"];
  for (const pair of root.items) {
    const k = str(pair.key) ?? "";
    if (!ALLOWED_TOP_LEVEL_KEYS.includes(k)) problems.push(`unexpected top-level key '${k}' (cloud-init ignores unknown keys)`);
  }
  if (!isTrue(root.get("package_update", true))) problems.push("package_update must be true");
  const users = root.get("users", true);
  if (!isSeq(users) || str(users.items[0]) !== "default") problems.push("users must start with 'default' (the image's login user)");
  checkWriteFiles(root.get("write_files", true) as Node | null, problems);
  checkRuncmd(root.get("runcmd", true) as Node | null, problems);
  return problems;
}
