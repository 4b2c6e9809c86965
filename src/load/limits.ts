// Input limits. A topology is written by hand: a stack of a thousand hosts is
// about 40 KiB of YAML nested four levels deep. Anything far beyond that is a
// mistake or an attack, and refusing it early keeps every run bounded in time
// and memory. Each limit has its own stable diagnostic code.

/** Largest topology (and secrets) file, in bytes: `file-too-large`. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Deepest nesting of YAML collections (the language itself needs 4): `yaml-too-deep`. */
export const MAX_NESTING_DEPTH = 16;

/**
 * Alias expansions allowed while reading the document (the yaml package's
 * measure, the number of uses times the aliases inside): `yaml-alias-limit`.
 * Guards against "billion laughs".
 */
export const MAX_ALIAS_COUNT = 100;

/** YAML syntax errors shown; later ones are mostly echoes of the first. */
export const MAX_YAML_ERRORS = 20;
