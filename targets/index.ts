// The target registry: a new target is one folder, its name in names.ts and
// one line here.
import { bundle } from "./bundle/index.js";
import { compose } from "./compose/index.js";
import { TARGET_NAMES, type TargetName } from "./names.js";
import { systemd } from "./systemd/index.js";
import type { Target } from "./types.js";

/** Every name has its target, and only those (an object literal admits no extra key). */
const byName: Readonly<Record<TargetName, Target>> = { compose, systemd, bundle };

/** In TARGET_NAMES order: the order of `--target`'s default and of the output folders. */
export const targets: readonly Target[] = TARGET_NAMES.map((n) => byName[n]);

export function targetByName(name: string): Target | undefined {
  return targets.find((t) => t.name === name);
}
