import { domainEvents, snapshotCreatedPattern, subscriptionPattern } from "@aurora-restore/core";
import { compilePattern, matchesPattern } from "@aurora-restore/local";
import { measure, report } from "./measure";

/** How fast the local bus decides which rules an event matches: compiled once vs compiled per event. */
export async function benchPatterns(): Promise<void> {
  const rdsEvent = {
    version: "0",
    id: "1",
    "detail-type": snapshotCreatedPattern()["detail-type"][0],
    source: snapshotCreatedPattern().source[0],
    account: "111111111111",
    time: "2026-11-28T03:00:00Z",
    region: "us-east-1",
    resources: ["arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-11-28-03-00"],
    detail: {
      EventCategories: ["backup"],
      SourceType: "CLUSTER_SNAPSHOT",
      SourceArn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-11-28-03-00",
      SourceIdentifier: "rds:prod-2026-11-28-03-00",
      Date: "2026-11-28T03:00:00.000Z",
      Message: "Automated cluster snapshot created",
      EventID: "RDS-EVENT-0169",
    },
  };
  const complex = {
    detail: {
      $or: [
        { SourceIdentifier: [{ prefix: "rds:prod" }] },
        { SourceArn: [{ wildcard: "arn:aws:rds:*:111111111111:cluster-snapshot:*" }] },
      ],
      EventID: [{ "anything-but": ["RDS-EVENT-0074", "RDS-EVENT-0168"] }],
      Date: [{ exists: true }],
    },
  };
  const snapshot = compilePattern(snapshotCreatedPattern());
  const compiledComplex = compilePattern(complex);
  // Every rule of the pipeline bus, evaluated for one event, as the bus does on each PutEvents entry.
  const allRules = domainEvents.map((c) =>
    compilePattern(subscriptionPattern({ bus: "pipeline", contracts: [c] })),
  );
  const n = 50_000;
  const perEvent = await measure("snapshot pattern, compiled per event", n / 10, () =>
    matchesPattern(compilePattern(snapshotCreatedPattern()), rdsEvent),
  );
  const compiled = await measure("snapshot pattern, compiled once", n, () =>
    matchesPattern(snapshot, rdsEvent),
  );
  const withOperators = await measure("$or + prefix + wildcard + anything-but + exists", n, () =>
    matchesPattern(compiledComplex, rdsEvent),
  );
  const fanOut = await measure(
    `one event against all ${allRules.length} pipeline rules`,
    n / 10,
    () => allRules.filter((rule) => matchesPattern(rule, rdsEvent)).length,
  );
  report("Event pattern matching (local EventBridge)", [perEvent, compiled, withOperators, fanOut], perEvent);
}
