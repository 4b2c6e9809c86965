// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const hyperdb: Renderer = {
  name: "hyperdb",
  render: () => ({}),
};
