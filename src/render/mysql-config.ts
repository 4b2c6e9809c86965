// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const mysqlConfig: Renderer = {
  name: "mysql-config",
  render: () => ({}),
};
