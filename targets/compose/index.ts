// TODO(targets issue): not yet written; emits nothing.
import type { Target } from "../types.js";

export const compose: Target = {
  name: "compose",
  description: "",
  emit: () => [],
};
