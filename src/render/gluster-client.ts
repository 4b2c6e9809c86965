// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const glusterClient: Renderer = {
  name: "gluster-client",
  render: () => ({}),
};
