// User text inside a diagnostic. A diagnostic is one line, `file:line:col:
// message [code]`, read by people and by scripts, so text the user wrote (an
// unknown key, a bad name) must not be able to break that line, forge another
// one, or hide what it is: control characters, line breaks and anything
// outside printable ASCII (a Cyrillic 'а' posing as a Latin 'a', a right-to-left
// override) are shown as \u escapes, and long text is cut.

/** At most this many characters of user text appear in one message. */
export const SHOWN_MAX = 40;

/** `s` made safe and visible for a one-line message. */
export function shown(s: string, max = SHOWN_MAX): string {
  const chars = [...s];
  const cut = chars.length > max;
  const body = (cut ? chars.slice(0, max) : chars).map(visible).join("");
  return cut ? `${body}... (${chars.length} characters)` : body;
}

function visible(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  if (cp >= 0x20 && cp <= 0x7e) return c;
  if (cp <= 0xffff) return `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}
