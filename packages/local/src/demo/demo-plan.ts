import type { PlanInput } from "@aurora-restore/core/plan/index";
import type { AccountRegion } from "@aurora-restore/core/ports/index";
import { demoDatabase, maskingSql } from "./sample-data";

/** The demo's accounts: production (source) and staging, where the pipeline and the target run. */
export const demoProduction: AccountRegion = { accountId: "111111111111", region: "us-east-1" };
export const demoStaging: AccountRegion = { accountId: "222222222222", region: "eu-west-1" };

export const demoNames = {
  planId: "local-demo",
  sourceCluster: "production-db",
  targetCluster: "staging-db",
  /** Customer key in production for the shareable copy (its policy lets staging use it). */
  shareableKeyAlias: "alias/aurora-restore-shareable",
  /** Key in staging the target is encrypted with. */
  targetKeyAlias: "alias/aurora-restore-staging",
  /** Where the demo keeps production's master credentials (production account). */
  sourceMasterSecret: "demo/production-db/master",
  targetMasterSecret: "aurora-restore/staging-db/master",
  writerUser: "app_writer",
  readerUser: "app_reader",
  sourceRoleArn: "arn:aws:iam::111111111111:role/aurora-restore-source-access",
} as const;

export function aliasArn(location: AccountRegion, alias: string): string {
  return `arn:aws:kms:${location.region}:${location.accountId}:${alias}`;
}

/**
 * The plan the demo runs (also written to examples/plans/local-demo.json as a sample). Keys are alias ARNs
 * so the file is the same on every machine; KMS resolves them in the account and region they name.
 */
export function demoPlan(topicArn: string): PlanInput {
  const target = demoNames.targetCluster;
  return {
    id: demoNames.planId,
    description:
      "Local demo: refresh staging-db (222222222222, eu-west-1) from production-db's snapshots (111111111111, us-east-1), masking customer names and emails.",
    source: {
      ...demoProduction,
      clusterIdentifier: demoNames.sourceCluster,
      roleArn: demoNames.sourceRoleArn,
      shareableKmsKeyId: aliasArn(demoProduction, demoNames.shareableKeyAlias),
    },
    targets: [
      {
        ...demoStaging,
        clusterIdentifier: target,
        kmsKeyId: aliasArn(demoStaging, demoNames.targetKeyAlias),
        instances: { instanceClass: "db.r6g.large", count: 1 },
        database: demoDatabase,
        masterSecretName: demoNames.targetMasterSecret,
        applicationUsers: [
          {
            username: demoNames.writerUser,
            secretName: `aurora-restore/${target}/${demoNames.writerUser}`,
            grants: [{ privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"], schema: "public" }],
          },
          {
            username: demoNames.readerUser,
            secretName: `aurora-restore/${target}/${demoNames.readerUser}`,
            grants: [{ privileges: ["SELECT"], schema: "public" }],
          },
        ],
        postRestoreSql: [{ name: "mask-customer-personal-data", sql: maskingSql }],
        checks: [
          { type: "table-exists", name: "customers table exists", table: "customers" },
          { type: "table-exists", name: "orders table exists", table: "orders" },
          { type: "row-count", name: "customers copied", table: "customers", min: 1 },
          { type: "row-count", name: "orders copied", table: "orders", min: 1 },
          {
            type: "sql",
            name: "no personal email left",
            sql: "SELECT count(*) = 0 FROM public.customers WHERE email NOT LIKE '%@example.invalid'",
          },
          {
            type: "sql",
            name: "every order has its customer",
            sql: "SELECT count(*) = 0 FROM public.orders o LEFT JOIN public.customers c ON c.id = o.customer_id WHERE c.id IS NULL",
          },
        ],
        deadlineMinutes: 30,
      },
    ],
    trigger: { type: "every-snapshot", snapshotTypes: ["automated", "manual"] },
    compliance: "default",
    notificationTopicArn: topicArn,
  };
}
