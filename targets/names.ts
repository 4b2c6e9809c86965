// The registered targets' names, on their own so that the CLI can list them
// in its help without loading any target (each command loads only its own
// modules; see src/cli.ts). targets/index.ts maps every name to its target,
// and its type makes a name without a target, or a target without a name,
// a compile error.
export const TARGET_NAMES = ["compose", "systemd", "bundle"] as const;

export type TargetName = (typeof TARGET_NAMES)[number];
