// The target registry: a new target is one folder and one line here.
import { bundle } from "./bundle/index.js";
import { compose } from "./compose/index.js";
import { systemd } from "./systemd/index.js";
import type { Target } from "./types.js";

export const targets: readonly Target[] = [compose, systemd, bundle];

export function targetByName(name: string): Target | undefined {
  return targets.find((t) => t.name === name);
}
