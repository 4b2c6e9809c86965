// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const glusterServer: Renderer = {
  name: "gluster-server",
  render: () => ({}),
};
