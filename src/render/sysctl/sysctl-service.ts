// The name of the step that applies a host's sysctl.d file, on its own so
// that the services needing it (nginx) can list it without importing the
// sysctl renderer and its dependencies.
import type { ServiceName } from "../services.js";

export const SYSCTL_SERVICE = "sysctl" satisfies ServiceName;
export const SYSCTL_UNIT = "hacompile-sysctl.service";
