// TODO(renderers issue): not yet written; contributes nothing.
import type { Renderer } from "./types.js";

export const phpFpm: Renderer = {
  name: "php-fpm",
  render: () => ({}),
};
