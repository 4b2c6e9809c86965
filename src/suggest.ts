// "Did you mean": the closest known name to a misspelt one. Shared by the
// loader (keys and enum values), the semantic checks (host, pool, database
// and volume names) and the command line (commands and options), so every
// misspelling in the first hour gets the same kind of help.

/** The closest known name within a third of the name's length (at least 1 edit), if any: short names get few edits, or www would suggest web. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let tied = false;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
      tied = false;
    } else if (d === bestD && k !== best) tied = true;
  }
  // lb3 is as close to lb1 as to lb2: naming either would mislead.
  if (tied) return undefined;
  const limit = Math.max(1, Math.floor(name.length / 3));
  // The name itself is no suggestion (a different case is: 'Name' -> 'name').
  return bestD <= limit && best !== name ? best : undefined;
}

/** "; did you mean 'x'?" or nothing: the tail every such message shares. */
export function didYouMean(name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return hint === undefined ? "" : `; did you mean '${hint}'?`;
}

/** Levenshtein distance, where swapping two neighbouring letters counts once (biuld, tagret). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
