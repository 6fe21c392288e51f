import { readFileSync } from "node:fs";
import { domainEvents } from "@aurora-restore/core";
import { describe, expect, it } from "vitest";
import { catalogPath, catalogText } from "../catalog";

describe("docs/events.md", () => {
  it("is the catalogue generated from the contracts (run `npm run catalog` after changing an event)", () => {
    const committed = readFileSync(catalogPath, "utf8");
    expect(committed, "docs/events.md is out of date: run `npm run catalog`").toBe(catalogText());
  });

  it("documents every domain event with its JSON schema", () => {
    const text = catalogText();
    for (const contract of domainEvents) {
      expect(text).toContain(`## ${contract.detailType} (v${contract.version})`);
    }
    expect(text).toContain('"operationId"');
  });
});
