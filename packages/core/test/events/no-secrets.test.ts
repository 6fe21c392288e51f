import { describe, expect, it } from "vitest";
import { z } from "zod";
import { domainEvents } from "../../src/events/domain";
import { fieldPaths } from "../../src/events/schema-fields";
import { isSecretFieldName } from "../../src/security/secret-names";

function secretFields(schema: z.ZodType): string[] {
  return fieldPaths(schema).filter((path) =>
    isSecretFieldName(
      path
        .split(/[.[\]{}]+/)
        .filter(Boolean)
        .pop() ?? "",
    ),
  );
}

describe("no event carries a secret value", () => {
  it.each(domainEvents.map((c) => [c.detailType, c] as const))(
    "%s has no secret-like field",
    (_name, contract) => {
      const paths = fieldPaths(contract.schema);
      expect(paths.length).toBeGreaterThan(4); // the walk really reaches the fields
      expect(secretFields(contract.schema)).toEqual([]);
    },
  );

  it("finds secret-like fields however deep they are nested", () => {
    const leaky = z.object({
      cluster: z.object({ id: z.string() }),
      users: z.array(z.object({ username: z.string(), password: z.string().optional() })),
      auth: z.union([z.object({ token: z.string() }), z.object({ none: z.literal(true) })]),
      material: z.object({ privateKey: z.string() }).optional(),
    });
    expect(secretFields(leaky)).toEqual(["users[].password", "auth.token", "material.privateKey"]);
  });

  it.each([
    ["masterSecretArn", false],
    ["secretName", false],
    ["kmsKeyId", false],
    ["password", true],
    ["masterUserPassword", true],
    ["sessionToken", true],
    ["secretString", true],
    ["privateKey", true],
    ["keyMaterial", true],
  ])("field %s is secret-like: %s", (name, expected) => {
    expect(isSecretFieldName(name)).toBe(expected);
  });
});
