import * as z from "zod";
import { OPERATION_ID_MAX_LENGTH, OPERATION_ID_RULE, operationIdPattern } from "../operation/ids";
import { parseArn } from "./arn";
import { printable } from "./printable";

/**
 * Every identifier and free string an event or a plan may carry, bounded and checked at the edge: an id
 * that is too long for a DynamoDB key, a control character, or an ARN of a made-up partition is refused by
 * the schema with a message that says what is expected, instead of failing (and being retried) deep inside
 * a stage. The event contracts (shapes.ts, domain.ts, rds.ts, contract.ts) and the plan schema all take
 * their identifiers from here, so each rule is written once.
 */

/** Upper bounds of free text and lists. */
export const textLimits = {
  /** Names, who asked, error codes, check names. */
  name: 256,
  /** Messages and details meant for people. */
  message: 8_192,
  /** Any ARN (IAM's limit). */
  arn: 2_048,
  /** Event, correlation and causation ids. */
  eventId: 128,
  /** Items in a list an event carries. */
  list: 100,
} as const;

// Anything a terminal or a log reader would interpret: C0/C1 controls, DEL, line separators, bidi controls.
const CONTROLS =
  "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\u200e\\u200f\\u061c";
export const singleLinePattern = new RegExp(`^[^${CONTROLS}]*$`);
// Messages may span lines (\n, \r, \t) but hold no other control character.
export const multiLinePattern = new RegExp(
  `^[^${CONTROLS.replace("\\u0000-\\u001f", "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f")}]*$`,
);
// A surrogate without its other half is not text (it has no UTF-8 form; DynamoDB and logs would mangle it).
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const isWellFormedText = (text: string) => !loneSurrogate.test(text);
const WELL_FORMED = "must be well-formed text (a lone UTF-16 surrogate is not)";

/** A one-line name: 1..max characters, no control characters. */
export function nameText(max: number = textLimits.name) {
  return z
    .string()
    .min(1, "must not be empty")
    .max(max, { message: `at most ${max} characters`, abort: true })
    .regex(singleLinePattern, "must not contain control characters")
    .refine(isWellFormedText, WELL_FORMED);
}

/** Text for people (may span lines): at most `max` characters, no control characters but \n, \r and \t. */
export function messageText(max: number = textLimits.message) {
  return z
    .string()
    .max(max, { message: `at most ${max} characters`, abort: true })
    .regex(multiLinePattern, "must not contain control characters (other than new lines and tabs)")
    .refine(isWellFormedText, WELL_FORMED);
}

export const accountId = z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits");

/** Commercial, China, GovCloud and ISO regions: us-east-1, cn-north-1, us-gov-west-1, us-iso-east-1. */
export const regionPattern = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{2,12}-\d{1,2}$/;
export const region = z.string().regex(regionPattern, "a region looks like eu-west-1");

export const operationId = z
  .string()
  .max(OPERATION_ID_MAX_LENGTH, {
    message: `an operation id has at most ${OPERATION_ID_MAX_LENGTH} characters`,
    abort: true,
  })
  .regex(operationIdPattern, `an operation id: ${OPERATION_ID_RULE}`);

/** Event ids (EventBridge's UUIDs), correlation and causation ids (event ids, request ids, operation ids). */
export const eventIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$/;
export const eventId = z
  .string()
  .max(textLimits.eventId, { message: `an id has at most ${textLimits.eventId} characters`, abort: true })
  .regex(eventIdPattern, "an id: letters, digits and . _ : / + = @ -, starting with a letter or digit");

/** An EventBridge replay's name (replayed events carry it). */
export const replayName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "a replay name: 1-64 letters, digits, . _ or -");

/** RDS's rule for DB cluster and instance identifiers: 1-63 letters, digits, single hyphens, letter first. */
const rdsIdentifierPattern = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
const RDS_IDENTIFIER_RULE =
  "1-63 letters, digits or hyphens, starting with a letter, without two hyphens in a row or a hyphen at the end";
export const clusterIdentifier = z
  .string()
  .min(1, "a DB cluster identifier must not be empty")
  .max(63, { message: "a DB cluster identifier has at most 63 characters", abort: true })
  .regex(rdsIdentifierPattern, `a DB cluster identifier: ${RDS_IDENTIFIER_RULE}`);

/**
 * A DB cluster snapshot as RDS names it: a manual snapshot's identifier (RDS's rules, up to 255), an automated
 * one's `rds:<cluster>-<date>` (or AWS Backup's `awsbackup:...`), or, for a snapshot shared from another
 * account, its ARN.
 */
const snapshotNamePattern = /^(?:rds:|awsbackup:)?[A-Za-z](?:-?[A-Za-z0-9])*$/;
export const snapshotIdentifier = z
  .string()
  .min(1, "a snapshot identifier must not be empty")
  .max(textLimits.arn, {
    message: `a snapshot identifier has at most ${textLimits.arn} characters`,
    abort: true,
  })
  .superRefine((text, ctx) => {
    if (text.startsWith("arn:")) {
      const problem = arnProblem(text, rdsClusterSnapshotArnSpec);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    } else if (text.length > 265 || !snapshotNamePattern.test(text)) {
      ctx.addIssue({
        code: "custom",
        message: `a DB cluster snapshot identifier (${RDS_IDENTIFIER_RULE.replace("1-63", "1-255")}; rds: for automated snapshots) or a snapshot ARN`,
      });
    }
  });

/** Identifiers RDS puts in its events' SourceIdentifier (also rds:<name> and parameter group names). */
export const rdsSourceIdentifier = z
  .string()
  .min(1)
  .max(255, { message: "at most 255 characters", abort: true })
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/, "an RDS resource identifier: letters, digits and : . _ -");

/** A PostgreSQL name as plans write it (users, schemas, tables, databases). */
export const sqlName = z
  .string()
  .regex(/^[a-z_][a-z0-9_$]{0,62}$/, "a lower-case PostgreSQL name: letters, digits, _ or $, at most 63");

export const planId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,62}$/,
    "a plan id: lower-case letters, digits and hyphens, starting with a letter",
  );

/** A host name or IP address. */
export const hostName = z
  .string()
  .max(253, { message: "a host name has at most 253 characters", abort: true })
  .regex(/^[A-Za-z0-9][A-Za-z0-9.:-]*$/, "a host name or IP address");

export const port = z.number().int().min(1).max(65_535);

// ---------------------------------------------------------------------------------------------------------
// ARNs: one rule per kind of resource (parsed by ./arn), used by the event contracts and by plans.

/** The partitions an ARN may name (standard, China, GovCloud, and the isolated regions). */
export const awsPartitions = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"] as const;
export type AwsPartition = (typeof awsPartitions)[number];

/** The partition a region belongs to: an ARN must name its region's partition. */
export function partitionOfRegion(regionName: string): AwsPartition {
  if (regionName.startsWith("cn-")) return "aws-cn";
  if (regionName.startsWith("us-gov-")) return "aws-us-gov";
  if (regionName.startsWith("us-isob-")) return "aws-iso-b";
  if (regionName.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

export interface ArnSpec {
  /** What the ARN names, for messages: "a KMS key ARN". */
  what: string;
  example: string;
  /** The service the ARN must name; undefined: any service (lower-case letters, digits, hyphens). */
  service?: string;
  /** required: a region must be given; none: must be empty (IAM); any: either. */
  region: "required" | "none" | "any";
  /** required: 12 digits; optional: 12 digits, "aws" or empty. */
  account: "required" | "optional";
  resource: RegExp;
  resourceRule: string;
}

/** What is wrong with an ARN, in words, or undefined when it is valid. */
export function arnProblem(text: string, spec: ArnSpec): string | undefined {
  const expected = `${spec.what} (${spec.example})`;
  if (text.length > textLimits.arn) return `${expected}: an ARN has at most ${textLimits.arn} characters`;
  const arn = parseArn(text);
  if (!arn) return `${expected}: an ARN is arn:<partition>:<service>:<region>:<account>:<resource>`;
  if (!(awsPartitions as readonly string[]).includes(arn.partition)) {
    return `${expected}: the partition must be ${awsPartitions.slice(0, -1).join(", ")} or ${awsPartitions.at(-1)}, not "${printable(arn.partition, 40)}"`;
  }
  if (spec.service ? arn.service !== spec.service : !/^[a-z0-9-]{1,64}$/.test(arn.service)) {
    return `${expected}: the service must be ${spec.service ?? "a service name"}, not "${printable(arn.service, 40)}"`;
  }
  if (arn.region === "") {
    if (spec.region === "required") return `${expected}: the region is missing`;
  } else if (spec.region === "none") {
    return `${expected}: ${spec.service} ARNs have no region`;
  } else if (!regionPattern.test(arn.region)) {
    return `${expected}: "${printable(arn.region, 40)}" is not a region (like eu-west-1)`;
  } else if (partitionOfRegion(arn.region) !== arn.partition) {
    return `${expected}: region ${arn.region} is in partition ${partitionOfRegion(arn.region)}, not ${arn.partition}`;
  }
  const accountOk =
    /^\d{12}$/.test(arn.accountId) ||
    (spec.account === "optional" && (arn.accountId === "" || arn.accountId === "aws"));
  if (!accountOk) return `${expected}: the account must be a 12-digit AWS account id`;
  if (!spec.resource.test(arn.resource)) return `${expected}: the resource must be ${spec.resourceRule}`;
  return undefined;
}

/** A zod string checked by `arnProblem`; `describe` gives the catalogue its rule. */
export function arnSchema(spec: ArnSpec) {
  return z
    .string()
    .max(textLimits.arn, { message: `an ARN has at most ${textLimits.arn} characters`, abort: true })
    .superRefine((text, ctx) => {
      const problem = arnProblem(text, spec);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe(`${spec.what}, e.g. ${spec.example}`);
}

export const kmsKeyArnSpec: ArnSpec = {
  what: "a full KMS key ARN or alias ARN",
  example: "arn:aws:kms:eu-west-1:222222222222:key/<key id>",
  service: "kms",
  region: "required",
  account: "required",
  // Key ids are UUIDs (mrk-<hex> for multi-region keys); the rule only bounds them and their characters.
  resource: /^(?:key\/[A-Za-z0-9-]{1,64}|alias\/[A-Za-z0-9/_-]{1,250})$/,
  resourceRule: "key/<key id> or alias/<name>; key ids and alias names alone do not work across accounts",
};

export const iamRoleArnSpec: ArnSpec = {
  what: "an IAM role ARN",
  example: "arn:aws:iam::111111111111:role/aurora-restore-source-access",
  service: "iam",
  region: "none",
  account: "required",
  resource: /^role\/[\w+=,.@/-]{1,576}$/,
  resourceRule: "role/<path and name>: letters, digits and + = , . @ _ / -",
};

export const snsTopicArnSpec: ArnSpec = {
  what: "an SNS topic ARN",
  example: "arn:aws:sns:eu-west-1:222222222222:aurora-restore",
  service: "sns",
  region: "required",
  account: "required",
  resource: /^[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/,
  resourceRule: "a topic name: 1-256 letters, digits, _ or -",
};

export const secretArnSpec: ArnSpec = {
  what: "a Secrets Manager secret ARN",
  example: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:<name>-AbCdEf",
  service: "secretsmanager",
  region: "required",
  account: "required",
  resource: /^secret:[A-Za-z0-9/_+=.@-]{1,519}$/,
  resourceRule: "secret:<name>",
};

export const rdsClusterSnapshotArnSpec: ArnSpec = {
  what: "a DB cluster snapshot ARN",
  example: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:<identifier>",
  service: "rds",
  region: "required",
  account: "required",
  resource: /^cluster-snapshot:(?:rds:|awsbackup:)?[A-Za-z](?:-?[A-Za-z0-9])*$/,
  resourceRule: "cluster-snapshot:<identifier> (rds:<identifier> for automated snapshots)",
};

export const rdsResourceArnSpec: ArnSpec = {
  what: "an RDS resource ARN",
  example: "arn:aws:rds:us-east-1:111111111111:cluster:<identifier>",
  service: "rds",
  region: "required",
  account: "required",
  resource: /^[a-z-]{1,32}:[A-Za-z0-9][A-Za-z0-9:._-]{0,300}$/,
  resourceRule: "<type>:<identifier>, e.g. cluster:orders-prod or cluster-snapshot:rds:orders-prod-...",
};

/** Any ARN, as EventBridge envelopes list them in `resources`. */
export const anyArnSpec: ArnSpec = {
  what: "an ARN",
  example: "arn:aws:rds:us-east-1:111111111111:cluster:<identifier>",
  region: "any",
  account: "optional",
  resource: /^[\x21-\x7e]{1,1024}$/,
  resourceRule: "printable characters without spaces",
};

export const kmsKeyArn = arnSchema(kmsKeyArnSpec);
export const iamRoleArn = arnSchema(iamRoleArnSpec);
export const snsTopicArn = arnSchema(snsTopicArnSpec);
export const secretArn = arnSchema(secretArnSpec);
export const rdsClusterSnapshotArn = arnSchema(rdsClusterSnapshotArnSpec);
export const rdsResourceArn = arnSchema(rdsResourceArnSpec);
export const anyArn = arnSchema(anyArnSpec);
