import type * as z from "zod";

/**
 * Every field name reachable in a zod schema (objects, arrays, optionals, unions, intersections), with
 * its dotted path. The contract test uses it to prove no event can carry a secret value.
 */
export function fieldPaths(schema: z.ZodType, prefix = ""): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.entries(shape).flatMap(([key, child]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...fieldPaths(child, path)];
      });
    }
    case "array":
      return fieldPaths(def.element as z.ZodType, `${prefix}[]`);
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return fieldPaths(def.innerType as z.ZodType, prefix);
    case "pipe":
      return [...fieldPaths(def.in as z.ZodType, prefix), ...fieldPaths(def.out as z.ZodType, prefix)];
    case "union":
      return (def.options as z.ZodType[]).flatMap((option) => fieldPaths(option, prefix));
    case "intersection":
      return [...fieldPaths(def.left as z.ZodType, prefix), ...fieldPaths(def.right as z.ZodType, prefix)];
    case "record":
      return fieldPaths(def.valueType as z.ZodType, `${prefix}{}`);
    default:
      return [];
  }
}
