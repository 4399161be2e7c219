/** The version alphabet, kept apart from the zod schema so that deploy paths need not load zod. */

/** Versions become directory names on targets, so they are restricted to a safe alphabet. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export function isValidVersion(value: string): boolean {
  return VERSION_PATTERN.test(value);
}
