// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const webNginx: Renderer = {
  name: "web-nginx",
  render: () => ({}),
};
