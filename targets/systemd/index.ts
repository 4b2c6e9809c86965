// TODO(targets issue): not yet written; emits nothing.
import type { Target } from "../types.js";

export const systemd: Target = {
  name: "systemd",
  description: "",
  emit: () => [],
};
