// The name of the step that applies a host's sysctl.d file, on its own so
// that the services needing it (nginx) can list it without importing the
// sysctl renderer (which imports theirs).
export const SYSCTL_SERVICE = "sysctl";
export const SYSCTL_UNIT = "hacompile-sysctl.service";
