// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const nginxMain: Renderer = {
  name: "nginx-main",
  render: () => ({}),
};
