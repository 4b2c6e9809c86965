// TODO(targets issue): not yet written; emits nothing.
import type { Target } from "../types.js";

export const bundle: Target = {
  name: "bundle",
  description: "",
  emit: () => [],
};
