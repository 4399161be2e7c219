/**
 * "Did you mean" suggestions for misspelt keys and names. A candidate is
 * suggested when it is within two edits of the word, or when one is a prefix
 * of the other (people often type `env` for `environment`).
 */

/** Levenshtein edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The closest plausible candidate for `word`, or undefined. Case is ignored for the comparison. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = candidate.toLowerCase();
    const distance = editDistance(lower, other);
    // A prefix match only counts when the shorter side is not trivially short.
    const prefix =
      Math.min(lower.length, other.length) >= 3 && (other.startsWith(lower) || lower.startsWith(other));
    // A distance as long as the word is a rewrite, not a typo (`db` → `ui`).
    const typo = distance <= 2 && distance < Math.min(lower.length, other.length);
    if (!typo && !prefix) continue;
    // Real typos (small distance) beat prefixes; ties keep the first candidate, so order is the caller's.
    const score = typo ? distance : 3;
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  return best?.candidate;
}

/** ` — did you mean "x"?` or an empty string, ready to append to a message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hit = suggest(word, candidates);
  return hit === undefined ? '' : ` — did you mean "${hit}"?`;
}
