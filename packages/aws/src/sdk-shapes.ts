/** AWS `Tag` lists (RDS, Secrets Manager) from a plain record. */
export function toTags(
  tags: Record<string, string> | undefined,
): { Key: string; Value: string }[] | undefined {
  return tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
}

/** Drops undefined members so results compare cleanly with what the local implementation returns. */
export function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
