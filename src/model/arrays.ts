/**
 * `into.push(...items)` passes every item as an argument to push, on the
 * stack: with a few hundred thousand items (hosts, steps, problems) it throws
 * "Maximum call stack size exceeded". Anything whose length grows with the
 * config is appended through this instead.
 */
export function append<T>(into: T[], items: Iterable<T>): T[] {
  for (const item of items) into.push(item);
  return into;
}
