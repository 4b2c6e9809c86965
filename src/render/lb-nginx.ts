// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const lbNginx: Renderer = {
  name: "lb-nginx",
  render: () => ({}),
};
