// The compose target's own templates (Dockerfile, supervisord.conf, the init
// script), compiled like the renderers' (src/render/common/ejs.ts).
import { templateRenderer } from "../../src/render/common/ejs.js";

export const renderComposeTemplate = templateRenderer("targets/compose/templates");
