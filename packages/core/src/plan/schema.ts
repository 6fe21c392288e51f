import * as z from "zod";
import { parseArn } from "../events/arn";
import {
  accountId,
  clusterIdentifier as identifier,
  isWellFormedText,
  kmsKeyArn,
  messageText,
  multiLinePattern,
  nameText,
  planId,
  region,
  iamRoleArn as roleArn,
  snsTopicArn,
  sqlName,
} from "../events/identifiers";
import { MAX_TARGET_CLUSTER_ID_LENGTH, RDS_IDENTIFIER_MAX_LENGTH } from "../operation/ids";
import { scheduleExpressionProblem } from "./schedule-expression";
import { describeSqlProblem, sqlProblem } from "./sql-safety";

/** Plans configure which targets are refreshed from which source, and how. Validated before any use. */

/**
 * Upper bounds of a plan's lists and texts: far above any real plan, low enough that a huge or hostile
 * plan is refused at once with the field named, instead of slowing every stage that reads it.
 */
export const planLimits = {
  targets: 50,
  applicationUsers: 50,
  grants: 50,
  tables: 500,
  postRestoreSql: 100,
  checks: 100,
  securityGroups: 16,
  name: 128,
  description: 2_000,
  sql: 65_536,
} as const;

/** An array of at most `max` items; longer arrays are refused before their items are read. */
function boundedArray<T extends z.ZodType>(item: T, max: number, what: string) {
  return z.array(item).max(max, { message: `at most ${max} ${what}`, abort: true });
}

/** A DB parameter group name (cluster or instance). */
const parameterGroupName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9.-]{0,254}$/, "a DB parameter group name: 1-255 letters, digits, . or -");

/** A tag key: AWS's own `aws:` keys and the pipeline's `aurora-restore:` ones are refused on the tags. */
const tagKey = z
  .string()
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+@-]{1,128}$/u, "a tag key: 1-128 letters, digits, spaces or _.:/=+@-");

const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "a Secrets Manager name: letters, digits and /_+=.@- only");

/** A name a person gives (a SQL step, a check): one line, at most planLimits.name characters. */
const label = nameText(planLimits.name);

/** Plan SQL: bounded, and refused when it reaches the server's files, programs or configuration. */
const planSql = z
  .string()
  .min(1, "must not be empty")
  .max(planLimits.sql, { message: `at most ${planLimits.sql} characters`, abort: true })
  .regex(multiLinePattern, {
    message: "must not contain control characters (other than new lines and tabs)",
    abort: true,
  })
  .refine(isWellFormedText, {
    message: "must be well-formed text (a lone UTF-16 surrogate is not)",
    abort: true,
  })
  .superRefine((sql, ctx) => {
    const problem = sqlProblem(sql);
    if (problem) ctx.addIssue({ code: "custom", message: describeSqlProblem(problem) });
  });

/** "table" or "schema.table": verify quotes each part, so any characters but dots and control characters. */
const tableName = nameText(127).regex(
  /^[^.]+(?:\.[^.]+)?$/,
  "a table name: table or schema.table (verify quotes each part)",
);

const grantSchema = z.strictObject({
  privileges: z
    .array(z.enum(["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]))
    .max(7, { message: "at most the 7 table privileges", abort: true })
    .min(1, "list at least one privilege"),
  schema: sqlName.default("public"),
  /** Tables in that schema; omitted means all tables in the schema. */
  tables: boundedArray(sqlName, planLimits.tables, "tables").optional(),
});

const applicationUserSchema = z.strictObject({
  username: sqlName,
  secretName,
  grants: boundedArray(grantSchema, planLimits.grants, "grants").default([]),
});

const checkSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("table-exists"), name: label, table: tableName }),
  z
    .strictObject({
      type: z.literal("row-count"),
      name: label,
      table: tableName,
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    })
    .refine((c) => c.min !== undefined || c.max !== undefined, "give min, max or both"),
  z.strictObject({
    type: z.literal("sql"),
    name: label,
    sql: planSql.describe("A query returning one row with one boolean column: true means passed"),
  }),
]);

const targetSchema = z
  .strictObject({
    accountId,
    region,
    clusterIdentifier: identifier,
    kmsKeyId: kmsKeyArn,
    engine: z.literal("aurora-postgresql").default("aurora-postgresql"),
    engineVersion: z
      .string()
      .regex(/^[0-9A-Za-z._-]{1,32}$/, "an engine version such as 16.4")
      .optional(),
    network: z
      .strictObject({
        dbSubnetGroupName: z
          .string()
          .regex(
            /^[A-Za-z0-9 ._-]{1,255}$/,
            "a DB subnet group name: 1-255 letters, digits, spaces, . _ or -",
          )
          .optional(),
        vpcSecurityGroupIds: boundedArray(
          z.string().regex(/^sg-[0-9a-f]{1,17}$/, "a security group id (sg-...)"),
          planLimits.securityGroups,
          "security groups",
        ).default([]),
      })
      .default({ vpcSecurityGroupIds: [] }),
    dbClusterParameterGroupName: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9.-]{0,254}$/,
        "a DB cluster parameter group name: 1-255 letters, digits, . or -",
      )
      .optional(),
    instances: z
      .strictObject({
        instanceClass: z
          .string()
          .regex(/^db\.[a-z0-9]{1,16}\.[a-z0-9]{1,16}$/, "an instance class such as db.r6g.large"),
        count: z.number().int().min(1).max(15).default(1),
        /** The instances' DB parameter group; default: the existing target's. */
        parameterGroupName: parameterGroupName.optional(),
        /** Performance Insights; default: as the existing target's instances have it. */
        performanceInsights: z
          .strictObject({
            enabled: z.boolean(),
            kmsKeyId: kmsKeyArn.optional(),
            retentionPeriod: z.number().int().min(7).max(731).optional(),
          })
          .optional(),
        /** Enhanced monitoring; default: as the existing target's instances have it. */
        monitoring: z
          .strictObject({
            intervalSeconds: z.literal([0, 1, 5, 10, 15, 30, 60]),
            roleArn: roleArn.optional(),
          })
          .refine((m) => m.intervalSeconds === 0 || m.roleArn !== undefined, {
            message:
              "give roleArn (the role RDS publishes enhanced monitoring with) when intervalSeconds is not 0",
          })
          .optional(),
        /** Only this makes an instance publicly accessible (never the existing target's instances). */
        publiclyAccessible: z.boolean().default(false),
      })
      .default({ instanceClass: "db.r6g.large", count: 1, publiclyAccessible: false }),
    /**
     * The restored cluster's settings. Each one left out is taken from the existing target (described before
     * restoring), else RDS's default: the refresh keeps what the target had.
     */
    settings: z
      .strictObject({
        deletionProtection: z.boolean().optional(),
        backupRetentionDays: z.number().int().min(1).max(35).optional(),
        iamDatabaseAuthentication: z.boolean().optional(),
        logExports: z
          .array(z.enum(["postgresql", "iam-db-auth-error"]))
          .max(2, { message: "at most the 2 Aurora PostgreSQL log types", abort: true })
          .optional(),
        tags: z
          .record(tagKey, z.string().max(256, "a tag value has at most 256 characters"))
          .refine((tags) => Object.keys(tags).length <= 40, "at most 40 tags")
          .superRefine((tags, ctx) => {
            for (const key of Object.keys(tags).filter((k) => /^(aws|aurora-restore):/i.test(k))) {
              ctx.addIssue({
                code: "custom",
                path: [key],
                message: "aws: and aurora-restore: tag keys are reserved",
              });
            }
          })
          .optional(),
      })
      .default({}),
    /** snapshot: restore from the (copied) snapshot; clone: Aurora copy-on-write clone (same account and region). */
    restoreMethod: z.enum(["snapshot", "clone"]).default("snapshot"),
    /** two-hop: share in the source region, then copy across regions in the target account. */
    copyMode: z.enum(["two-hop", "single-hop"]).default("two-hop"),
    database: sqlName.default("postgres"),
    masterSecretName: secretName,
    applicationUsers: boundedArray(
      applicationUserSchema,
      planLimits.applicationUsers,
      "application users",
    ).default([]),
    postRestoreSql: boundedArray(
      z.strictObject({ name: label, sql: planSql }),
      planLimits.postRestoreSql,
      "SQL steps",
    ).default([]),
    checks: boundedArray(checkSchema, planLimits.checks, "checks").default([]),
    deadlineMinutes: z.number().int().min(5).max(2880).default(360),
    finalSnapshotOnDelete: z.boolean().default(false),
  })
  .superRefine((target, ctx) => {
    if (target.clusterIdentifier.length > MAX_TARGET_CLUSTER_ID_LENGTH) {
      ctx.addIssue({
        code: "custom",
        path: ["clusterIdentifier"],
        message:
          `at most ${MAX_TARGET_CLUSTER_ID_LENGTH} characters (this one has ${target.clusterIdentifier.length}): ` +
          `a refresh renames the replaced cluster's instances <target>-old-<10 hex>-<n>, which must fit RDS's ` +
          `${RDS_IDENTIFIER_MAX_LENGTH}; rename the target cluster or refresh a shorter-named one`,
      });
    }
    const { region: keyRegion, accountId: keyAccount } = parseArn(target.kmsKeyId) ?? {};
    if (keyRegion !== target.region) {
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyId"],
        message: `the key is in ${keyRegion} but the target is in ${target.region}: KMS keys are regional, use a key in ${target.region}`,
      });
    }
    if (keyAccount !== target.accountId) {
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyId"],
        message: `the key belongs to account ${keyAccount}; use a key of the target account ${target.accountId}`,
      });
    }
    const usernames = target.applicationUsers.map((u) => u.username);
    const duplicate = usernames.find((name, i) => usernames.indexOf(name) !== i);
    if (duplicate) {
      ctx.addIssue({
        code: "custom",
        path: ["applicationUsers"],
        message: `user ${duplicate} is listed twice`,
      });
    }
  });

export const complianceProfiles = { default: 90, pci: 365, hipaa: 730 } as const;
export type ComplianceProfile = keyof typeof complianceProfiles;

export const planSchema = z
  .strictObject({
    id: planId,
    description: messageText(planLimits.description).optional(),
    source: z.strictObject({
      accountId,
      region,
      clusterIdentifier: identifier,
      /** The role prepare assumes in the source account (omit when the pipeline runs in that account). */
      roleArn: roleArn.optional(),
      /** Customer key in the source account for the shareable copy (default-key snapshots cannot be shared). */
      shareableKmsKeyId: kmsKeyArn.optional(),
    }),
    targets: boundedArray(targetSchema, planLimits.targets, "targets").min(1, "list at least one target"),
    trigger: z
      .discriminatedUnion("type", [
        z.strictObject({
          type: z.literal("every-snapshot"),
          snapshotTypes: z
            .array(z.enum(["automated", "manual"]))
            .max(2, { message: "automated, manual or both", abort: true })
            .min(1)
            .default(["automated", "manual"]),
        }),
        z.strictObject({
          type: z.literal("schedule"),
          /** EventBridge syntax in UTC: rate(N minute|minutes|hour|hours|day|days) or 6-field cron(...). */
          expression: z
            .string()
            .max(256, { message: "at most 256 characters", abort: true })
            .superRefine((text, ctx) => {
              const problem = scheduleExpressionProblem(text);
              if (problem) ctx.addIssue({ code: "custom", message: problem });
            }),
        }),
      ])
      .default({ type: "every-snapshot", snapshotTypes: ["automated", "manual"] }),
    retention: z
      .strictObject({
        keepIntermediateSnapshots: z.boolean().default(false),
        /** Hours a failed operation keeps its `-next` cluster and copied snapshot (inspection, retry). */
        keepFailedResourcesHours: z.number().int().min(0).max(720).default(0),
      })
      .default({ keepIntermediateSnapshots: false, keepFailedResourcesHours: 0 }),
    compliance: z.enum(["default", "pci", "hipaa"]).default("default"),
    notificationTopicArn: snsTopicArn,
  })
  .superRefine((plan, ctx) => {
    plan.targets.forEach((target, i) => {
      const sameLocation = target.accountId === plan.source.accountId && target.region === plan.source.region;
      if (target.restoreMethod === "clone" && !sameLocation) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "restoreMethod"],
          message:
            'an Aurora clone works only in the source\'s account and region; use restoreMethod "snapshot"',
        });
      }
      if (sameLocation && target.clusterIdentifier === plan.source.clusterIdentifier) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "clusterIdentifier"],
          message: "the target is the source cluster itself; name a different cluster",
        });
      }
    });
    if (plan.source.shareableKmsKeyId) {
      const { region: keyRegion, accountId: keyAccount } = parseArn(plan.source.shareableKmsKeyId) ?? {};
      if (keyRegion !== plan.source.region || keyAccount !== plan.source.accountId) {
        ctx.addIssue({
          code: "custom",
          path: ["source", "shareableKmsKeyId"],
          message: `use a customer key of the source account ${plan.source.accountId} in ${plan.source.region}`,
        });
      }
    }
  });

export type Plan = z.output<typeof planSchema>;
export type PlanInput = z.input<typeof planSchema>;
export type PlanTarget = Plan["targets"][number];
export type PlanCheck = PlanTarget["checks"][number];
