// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const mysqlBackup: Renderer = {
  name: "mysql-backup",
  render: () => ({}),
};
