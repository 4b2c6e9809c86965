// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const doFailover: Renderer = {
  name: "do-failover",
  render: () => ({}),
};
