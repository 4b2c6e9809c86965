// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const sysctl: Renderer = {
  name: "sysctl",
  render: () => ({}),
};
