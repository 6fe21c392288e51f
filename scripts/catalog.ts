import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ConsumerIndex, renderCatalog } from "@aurora-restore/core";
import { stages } from "@aurora-restore/functions/stages";

/** Consumers per stage, read from the same declarations that wire the bus and the stacks. */
export function consumerIndex(): ConsumerIndex {
  return Object.fromEntries(
    stages.map((s) => [
      s.name,
      s.subscriptions.flatMap((sub) => (sub.bus === "pipeline" ? sub.contracts : [])),
    ]),
  );
}

export const catalogPath = resolve(import.meta.dirname, "../docs/events.md");

export function catalogText(): string {
  return renderCatalog(consumerIndex());
}

// `npm run catalog` regenerates docs/events.md.
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  writeFileSync(catalogPath, catalogText());
  console.log(`Wrote ${catalogPath}`);
}
