import { z } from "zod";
import { accountId, region } from "../events/shapes";
import { scheduleExpressionProblem } from "./schedule-expression";

/** Plans configure which targets are refreshed from which source, and how. Validated before any use. */

const identifier = z
  .string()
  .regex(
    /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/,
    "a DB cluster identifier: 1-63 letters, digits or hyphens, starting with a letter",
  )
  .refine(
    (s) => !s.endsWith("-") && !s.includes("--"),
    "must not end with a hyphen or contain two hyphens in a row",
  );

const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/,
    "a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias ARN; key ids and alias names do not work across accounts",
  );

const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "an IAM role ARN");

const sqlName = z
  .string()
  .regex(/^[a-z_][a-z0-9_$]{0,62}$/, "a lower-case PostgreSQL name: letters, digits, _ or $, at most 63");

const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "a Secrets Manager name: letters, digits and /_+=.@- only");

const grantSchema = z.strictObject({
  privileges: z
    .array(z.enum(["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]))
    .min(1, "list at least one privilege"),
  schema: sqlName.default("public"),
  /** Tables in that schema; omitted means all tables in the schema. */
  tables: z.array(sqlName).optional(),
});

const applicationUserSchema = z.strictObject({
  username: sqlName,
  secretName,
  grants: z.array(grantSchema).default([]),
});

const checkSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("table-exists"), name: z.string().min(1), table: z.string().min(1) }),
  z
    .strictObject({
      type: z.literal("row-count"),
      name: z.string().min(1),
      table: z.string().min(1),
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    })
    .refine((c) => c.min !== undefined || c.max !== undefined, "give min, max or both"),
  z.strictObject({
    type: z.literal("sql"),
    name: z.string().min(1),
    sql: z.string().min(1).describe("A query returning one row with one boolean column: true means passed"),
  }),
]);

const targetSchema = z
  .strictObject({
    accountId,
    region,
    clusterIdentifier: identifier,
    kmsKeyId: kmsKeyArn,
    engine: z.literal("aurora-postgresql").default("aurora-postgresql"),
    engineVersion: z.string().optional(),
    network: z
      .strictObject({
        dbSubnetGroupName: z.string().min(1).optional(),
        vpcSecurityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, "a security group id (sg-...)"))
          .default([]),
      })
      .default({ vpcSecurityGroupIds: [] }),
    dbClusterParameterGroupName: z.string().min(1).optional(),
    instances: z
      .strictObject({
        instanceClass: z
          .string()
          .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "an instance class such as db.r6g.large"),
        count: z.number().int().min(1).max(15).default(1),
      })
      .default({ instanceClass: "db.r6g.large", count: 1 }),
    /** snapshot: restore from the (copied) snapshot; clone: Aurora copy-on-write clone (same account and region). */
    restoreMethod: z.enum(["snapshot", "clone"]).default("snapshot"),
    /** two-hop: share in the source region, then copy across regions in the target account. */
    copyMode: z.enum(["two-hop", "single-hop"]).default("two-hop"),
    database: sqlName.default("postgres"),
    masterSecretName: secretName,
    applicationUsers: z.array(applicationUserSchema).default([]),
    postRestoreSql: z.array(z.strictObject({ name: z.string().min(1), sql: z.string().min(1) })).default([]),
    checks: z.array(checkSchema).default([]),
    deadlineMinutes: z.number().int().min(5).max(2880).default(360),
    finalSnapshotOnDelete: z.boolean().default(false),
  })
  .superRefine((target, ctx) => {
    const keyRegion = target.kmsKeyId.split(":")[3];
    const keyAccount = target.kmsKeyId.split(":")[4];
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
    id: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,62}$/,
        "a plan id: lower-case letters, digits and hyphens, starting with a letter",
      ),
    description: z.string().optional(),
    source: z.strictObject({
      accountId,
      region,
      clusterIdentifier: identifier,
      /** The role prepare assumes in the source account (omit when the pipeline runs in that account). */
      roleArn: roleArn.optional(),
      /** Customer key in the source account for the shareable copy (default-key snapshots cannot be shared). */
      shareableKmsKeyId: kmsKeyArn.optional(),
    }),
    targets: z.array(targetSchema).min(1, "list at least one target"),
    trigger: z
      .discriminatedUnion("type", [
        z.strictObject({
          type: z.literal("every-snapshot"),
          snapshotTypes: z
            .array(z.enum(["automated", "manual"]))
            .min(1)
            .default(["automated", "manual"]),
        }),
        z.strictObject({
          type: z.literal("schedule"),
          /** EventBridge syntax in UTC: rate(N minute|minutes|hour|hours|day|days) or 6-field cron(...). */
          expression: z.string().superRefine((text, ctx) => {
            const problem = scheduleExpressionProblem(text);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
        }),
      ])
      .default({ type: "every-snapshot", snapshotTypes: ["automated", "manual"] }),
    retention: z
      .strictObject({ keepIntermediateSnapshots: z.boolean().default(false) })
      .default({ keepIntermediateSnapshots: false }),
    compliance: z.enum(["default", "pci", "hipaa"]).default("default"),
    notificationTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, "an SNS topic ARN"),
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
      const [, , , keyRegion, keyAccount] = plan.source.shareableKmsKeyId.split(":");
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
