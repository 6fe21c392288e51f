import { describe, expect, test } from "vitest";
import { generatePassword } from "../../src/security/passwords";

describe("generatePassword", () => {
  test("is long, random and free of the characters RDS refuses", () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    for (const password of passwords) {
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(password).not.toMatch(/[/"@\s]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
    }
    expect(new Set(passwords).size).toBe(50);
    expect(() => generatePassword(16)).toThrow(/too short/);
  });
});
