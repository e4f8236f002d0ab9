/**
 * Freezes an object and everything it holds, so a module's default config cannot be changed by a
 * caller that mutates a resolved config's nested array or object (resolvers spread defaults shallowly).
 * Returns the same object.
 */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
