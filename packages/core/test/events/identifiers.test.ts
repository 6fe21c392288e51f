import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ClusterAvailable, ManualRestoreRequested, RestoreFailed } from "../../src/events/domain";
import {
  anyArn,
  clusterIdentifier,
  eventId,
  kmsKeyArn,
  operationId,
  rdsClusterSnapshotArn,
  region,
  secretArn,
  snapshotIdentifier,
} from "../../src/events/identifiers";
import { PIPELINE_SOURCE } from "../../src/events/names";
import { printable } from "../../src/events/printable";
import { operationIdFor, targetKeyOf } from "../../src/operation/ids";

const ok = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;
const messageOf = (schema: z.ZodType, value: unknown) =>
  schema
    .safeParse(value)
    .error?.issues.map((i) => i.message)
    .join("; ") ?? "";

const meta = {
  operationId: "op-1",
  correlationId: "corr-1",
  causationId: "evt-0",
  occurredAt: "2026-11-28T03:00:00.000Z",
};
const cluster = { clusterIdentifier: "staging-next", accountId: "222222222222", region: "eu-west-1" };

function envelope(detail: unknown, overrides: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    source: PIPELINE_SOURCE,
    "detail-type": ClusterAvailable.detailType,
    account: "222222222222",
    region: "eu-west-1",
    time: "2026-11-28T03:00:00Z",
    resources: [],
    detail,
    ...overrides,
  };
}

const available = { ...meta, schemaVersion: 1, cluster, endpoint: { host: "127.0.0.1", port: 5433 } };

describe("operation ids", () => {
  it("accepts every id the pipeline makes or takes", () => {
    const derived = operationIdFor({
      snapshotArn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-01-02-03-04",
      targetKey: targetKeyOf(cluster),
    });
    for (const id of [derived, `manual-${randomUUID()}`, "refresh-2025-03-14-a", "op_1", "x".repeat(64)]) {
      expect(ok(operationId, id), id).toBe(true);
    }
  });

  it.each([
    ["5,000 characters", "o".repeat(5_000), /at most 64/],
    ["65 characters", "o".repeat(65), /at most 64/],
    ["empty", "", /an operation id/],
    ["a control character", "op-1\u001b[2J", /an operation id/],
    ["a slash", "op/../1", /an operation id/],
    ["a space", "op 1", /an operation id/],
    ["unicode", "op-ü", /an operation id/],
    ["a leading hyphen", "-op", /an operation id/],
  ])("refuses %s, and so does every event carrying it", (_case, id, message) => {
    expect(messageOf(operationId, id)).toMatch(message);
    const parsed = ClusterAvailable.parseEnvelope.bind(null, envelope({ ...available, operationId: id }));
    expect(parsed).toThrow(message);
  });
});

describe("identifiers in events", () => {
  it.each([
    ["staging-db", true],
    ["a", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["1db", false],
    ["db--x", false],
    ["db-", false],
    ["db_x", false],
    ["", false],
  ])("cluster identifier %s: %s (RDS's rules)", (id, valid) => {
    expect(ok(clusterIdentifier, id)).toBe(valid);
  });

  it.each([
    ["prod-snap", true],
    ["rds:orders-prod-2026-01-02-03-04", true],
    ["arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:orders-prod-2026-01-02-03-04", true],
    ["arn:awsevil:rds:us-east-1:111111111111:cluster-snapshot:x", false],
    ["x".repeat(300), false],
    ["rds:", false],
    ["snap\nshot", false],
  ])("snapshot identifier %s: %s", (id, valid) => {
    expect(ok(snapshotIdentifier, id)).toBe(valid);
  });

  it.each([
    ["6a7e8feb-b491-4cf7-a9f1-bf3703467718", true],
    ["corr-manual-1", true],
    ["cli", true],
    ["x".repeat(129), false],
    ["id\r\ninjected", false],
    ["", false],
  ])("event, correlation and causation id %s: %s", (id, valid) => {
    expect(ok(eventId, id)).toBe(valid);
    expect(ClusterAvailable.schema.safeParse({ ...available, correlationId: id }).success).toBe(valid);
    expect(ClusterAvailable.schema.safeParse({ ...available, causationId: id }).success).toBe(valid);
  });

  it.each([
    ["us-east-1", true],
    ["ap-southeast-5", true],
    ["us-gov-west-1", true],
    ["cn-northwest-1", true],
    ["us-iso-east-1", true],
    ["us-isob-east-1", true],
    ["eu-west", false],
    ["EU-WEST-1", false],
    [`eu-${"west".repeat(10)}-1`, false],
  ])("region %s: %s", (name, valid) => {
    expect(ok(region, name)).toBe(valid);
  });

  it("bounds free text and refuses control characters in one-line fields", () => {
    const failed = {
      ...meta,
      schemaVersion: 1,
      planId: "orders",
      target: cluster,
      stage: "copy",
      errorCode: "SnapshotQuotaExceeded",
      message: "Line one.\nLine two, with a tab:\tok.",
    };
    expect(RestoreFailed.schema.safeParse(failed).success).toBe(true);
    expect(RestoreFailed.schema.safeParse({ ...failed, message: "m".repeat(8_193) }).success).toBe(false);
    expect(RestoreFailed.schema.safeParse({ ...failed, message: "bell\u0007" }).success).toBe(false);
    expect(RestoreFailed.schema.safeParse({ ...failed, errorCode: "A\nB" }).success).toBe(false);
    expect(RestoreFailed.schema.safeParse({ ...failed, planId: "x".repeat(5_000) }).success).toBe(false);
    const manual = {
      ...meta,
      schemaVersion: 1,
      targetClusterId: "staging-db",
      sourceSnapshotDate: "2026-01-02",
      requestedBy: "cli:alice",
    };
    expect(ManualRestoreRequested.schema.safeParse(manual).success).toBe(true);
    expect(ManualRestoreRequested.schema.safeParse({ ...manual, requestedBy: "r".repeat(257) }).success).toBe(
      false,
    );
    expect(ManualRestoreRequested.schema.safeParse({ ...manual, targetClusterId: "x;drop" }).success).toBe(
      false,
    );
  });
});

describe("ARNs", () => {
  it.each([
    [kmsKeyArn, "arn:aws:kms:eu-west-1:222222222222:key/7c2d9e4f-2222-4b4b-8e8e-000000000002", true],
    [kmsKeyArn, "arn:aws:kms:eu-west-1:222222222222:key/mrk-1234abcd12ab34cd56ef1234567890ab", true],
    [kmsKeyArn, "arn:aws:kms:eu-west-1:222222222222:alias/aws/rds", true],
    [kmsKeyArn, "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/k", true],
    [kmsKeyArn, "arn:awsevil:kms:eu-west-1:222222222222:key/k", false],
    [kmsKeyArn, "arn:aws:kms:eu-west-1:222222222222:key/k:extra", false],
    [kmsKeyArn, "arn:aws-us-gov:kms:eu-west-1:222222222222:key/k", false],
    [kmsKeyArn, "arn:aws:kms:eu-west-1:222222222222:user/k", false],
    [secretArn, "arn:aws:secretsmanager:eu-west-1:222222222222:secret:orders-staging/master-AbCdEf", true],
    [secretArn, "arn:aws:secretsmanager:eu-west-1:222222222222:secret:a b", false],
    [
      rdsClusterSnapshotArn,
      "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds:prod-2026-01-02-03-04",
      true,
    ],
    [rdsClusterSnapshotArn, "arn:aws:rds:us-east-1:111111111111:cluster:prod", false],
    [anyArn, "arn:aws:iam::aws:policy/AdministratorAccess", true],
    [anyArn, "arn:aws:events:eu-west-1:111111111111:rule/watcher", true],
    [anyArn, "arn:x", false],
    [anyArn, `arn:aws:s3:::${"b".repeat(3_000)}`, false],
  ] as const)("%#: %s -> %s", (schema, arn, valid) => {
    expect(ok(schema, arn)).toBe(valid);
  });

  it("says what is wrong with a forged partition, escaping what it quotes", () => {
    expect(messageOf(kmsKeyArn, "arn:aws\u001b[31m:kms:eu-west-1:222222222222:key/k")).toMatch(
      /partition must be aws, aws-cn, aws-us-gov, aws-iso or aws-iso-b, not "aws\\u001b\[31m"/,
    );
  });
});

describe("the EventBridge envelope", () => {
  it("takes a real event", () => {
    expect(() => ClusterAvailable.parseEnvelope(envelope(available))).not.toThrow();
  });

  it.each([
    ["a 5,000-character event id", { id: "e".repeat(5_000) }],
    ["an account that is not 12 digits", { account: "22222222222x" }],
    ["a region that is not one", { region: "eu-west-1\n" }],
    ["a forged resource ARN", { resources: ["arn:awsevil:rds:eu-west-1:222222222222:cluster:x"] }],
    [
      "101 resources",
      { resources: Array.from({ length: 101 }, () => "arn:aws:sqs:eu-west-1:222222222222:q") },
    ],
    ["a replay name of 65 characters", { "replay-name": "r".repeat(65) }],
    ["a detail-type of 10,000 characters", { "detail-type": "d".repeat(10_000) }],
  ])("refuses %s", (_case, overrides) => {
    expect(() => ClusterAvailable.parseEnvelope(envelope(available, overrides))).toThrow();
    expect(() => ClusterAvailable.parse(envelope(available, overrides))).toThrow(
      /Failed to parse EventBridge envelope/,
    );
  });
});

describe("printable", () => {
  it("escapes control characters, bidi overrides and lone surrogates, and cuts long text", () => {
    expect(printable("a\u001b[2Jb\r\n\u202e\u0085\ud800")).toBe(
      "a\\u001b[2Jb\\u000d\\u000a\\u202e\\u0085\\ud800",
    );
    expect(printable("x".repeat(300), 10)).toBe("xxxxxxxxxx...(300 characters)");
    expect(printable("emoji 😀 stays")).toBe("emoji 😀 stays");
    expect(printable({ toString: 1 })).toBe("(object)");
    expect(printable(["a"])).toBe("(an array)");
  });
});
