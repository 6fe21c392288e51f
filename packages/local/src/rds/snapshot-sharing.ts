import type { AccountRegion, ClusterSnapshot, CopySnapshotInput } from "@aurora-restore/core/ports/index";
import {
  clusterSnapshotArn,
  normaliseManualSnapshotIdentifier,
  parseClusterSnapshotArn,
  snapshotReference,
} from "./arns";
import { resolveKey } from "./cluster-lookup";
import type { RdsContext } from "./context";
import { rdsError, withKms } from "./errors";
import type { SnapshotRecord } from "./registry";
import { assertNewSnapshot, findOwnSnapshot, findVisibleSnapshot } from "./snapshot-operations";
import { snapshotView } from "./views";

/** AWS's limit of accounts a snapshot may be shared with. */
const shareQuota = 20;

/**
 * CopyDBClusterSnapshot, called in the destination account and region. The source is an identifier here or
 * an ARN (shared or in another region). KmsKeyId (a key of the destination region) is required for a shared
 * encrypted source and for a cross-region copy. The copy is a full re-encryption under the destination key;
 * it ends 'available' with no event, as in AWS.
 */
export async function copyClusterSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  input: CopySnapshotInput,
): Promise<ClusterSnapshot> {
  await ctx.ready();
  const target = normaliseManualSnapshotIdentifier(input.targetIdentifier);
  const parsed = parseClusterSnapshotArn(input.source);
  if (!parsed && input.sourceRegion !== undefined && input.sourceRegion !== location.region) {
    throw rdsError(
      "InvalidParameterValueException",
      `The source snapshot is in ${input.sourceRegion}: pass its ARN, not its identifier '${input.source}'`,
    );
  }
  if (parsed && input.sourceRegion !== undefined && input.sourceRegion !== parsed.region) {
    throw rdsError(
      "InvalidParameterValueException",
      `SourceRegion ${input.sourceRegion} does not match the source ARN's region ${parsed.region}`,
    );
  }
  const source = findVisibleSnapshot(ctx, location, snapshotReference(location, input.source), input.source, {
    otherRegion: true,
  });
  const shared = source.accountId !== location.accountId;
  const crossRegion = source.region !== location.region;
  if (source.status !== "available") {
    throw rdsError(
      "InvalidDBClusterSnapshotStateFault",
      `DBClusterSnapshot ${input.source} is '${source.status}'; it can be copied once it is 'available'`,
    );
  }
  if (input.kmsKeyId === undefined && (shared || crossRegion)) {
    const why = shared
      ? `it is encrypted and shared from account ${source.accountId}`
      : `it is encrypted and in another region (${source.region})`;
    throw rdsError(
      "InvalidParameterValueException",
      `KmsKeyId is required to copy ${input.source}: ${why}. Pass a KMS key of account ${location.accountId} in ${location.region}`,
    );
  }
  assertNewSnapshot(ctx, location, target, "manual");
  const kmsKeyId =
    input.kmsKeyId === undefined ? source.kmsKeyId : await resolveKey(ctx, location, input.kmsKeyId);
  // Fails now, not in the background, when the source key's policy does not let this account decrypt.
  (
    await ctx.store.unwrapDataKey(source.resourceId, { accountId: location.accountId, region: source.region })
  ).fill(0);
  await withKms(`KMS key ${kmsKeyId} cannot encrypt the copy`, () => ctx.kms.describeKey(location, kmsKeyId));
  // Again, now that nothing is awaited before the record is added: a concurrent copy to the same name is refused.
  assertNewSnapshot(ctx, location, target, "manual");
  const record: SnapshotRecord = {
    ...structuredClone(source),
    accountId: location.accountId,
    region: location.region,
    resourceId: ctx.newResourceId("snapshot"),
    identifier: target,
    type: "manual",
    status: "copying",
    kmsKeyId,
    sharedWith: [],
    sourceArn: clusterSnapshotArn(source, source.identifier),
    tags: { ...(input.copyTags && !shared ? source.tags : {}), ...input.tags },
  };
  ctx.registry.snapshots.push(record);
  await ctx.registry.save();
  runCopy(ctx, source, record);
  return snapshotView(record, location);
}

/** The copy's work, in the background: a full re-encryption of the source's file under the copy's key. */
function runCopy(ctx: RdsContext, source: SnapshotRecord, record: SnapshotRecord): void {
  ctx.transitions.run(
    `copy snapshot ${record.identifier}`,
    async () => {
      await Promise.all([
        ctx.store.copy({
          fromId: source.resourceId,
          toId: record.resourceId,
          caller: { accountId: record.accountId, region: record.region },
          sourceRegion: source.region,
          destinationKeyArn: record.kmsKeyId,
        }),
        ctx.transitions.wait("copy"),
      ]);
      record.status = "available";
      await ctx.registry.save();
    },
    async () => {
      record.status = "failed";
      await ctx.registry.save();
    },
  );
}

/**
 * A copy the previous process accepted but did not finish: in AWS the copy goes on whatever happens to the
 * caller, so it starts over from its source (the file is written atomically: nothing partial is left). Fails
 * only when the source is gone. Returns false when it cannot be resumed.
 */
export function resumeCopy(ctx: RdsContext, record: SnapshotRecord): boolean {
  const from = record.sourceArn ? parseClusterSnapshotArn(record.sourceArn) : undefined;
  const source =
    from &&
    ctx.registry.snapshots.find(
      (s) =>
        s.accountId === from.accountId &&
        s.region === from.region &&
        s.identifier === from.identifier &&
        s.status === "available",
    );
  if (!source) return false;
  runCopy(ctx, source, record);
  return true;
}

/** ModifyDBClusterSnapshotAttribute `restore` ValuesToAdd, with AWS's refusals. */
export async function shareClusterSnapshot(
  ctx: RdsContext,
  location: AccountRegion,
  input: { snapshotIdentifier: string; accountIds: string[] },
): Promise<void> {
  await ctx.ready();
  const record = findOwnSnapshot(ctx, location, input.snapshotIdentifier);
  if (record.type === "automated") {
    throw rdsError(
      "InvalidParameterValueException",
      `${record.identifier} is an automated snapshot and cannot be shared: copy it to a manual snapshot (CopyDBClusterSnapshot) and share the copy`,
    );
  }
  if (input.accountIds.includes("all")) {
    throw rdsError(
      "InvalidParameterValueException",
      `${record.identifier} is encrypted and cannot be made public: share it with specific account ids`,
    );
  }
  for (const account of input.accountIds) {
    if (!/^\d{12}$/.test(account))
      throw rdsError("InvalidParameterValueException", `'${account}' is not an AWS account id (12 digits)`);
  }
  const key = await withKms(`Cannot read KMS key ${record.kmsKeyId}`, () =>
    ctx.kms.describeKey(location, record.kmsKeyId),
  );
  if (key.keyManager === "AWS") {
    throw rdsError(
      "InvalidParameterValueException",
      `${record.identifier} is encrypted with the default key aws/rds (${key.arn}), which cannot be shared: copy it with KmsKeyId set to a customer managed key whose policy allows accounts ${input.accountIds.join(", ")}, then share the copy`,
    );
  }
  if (record.status !== "available") {
    throw rdsError(
      "InvalidDBClusterSnapshotStateFault",
      `DBClusterSnapshot ${record.identifier} is '${record.status}'; share it once it is 'available'`,
    );
  }
  const accounts = [...new Set([...record.sharedWith, ...input.accountIds])]
    .filter((a) => a !== location.accountId)
    .sort();
  if (accounts.length > shareQuota) {
    throw rdsError(
      "SharedSnapshotQuotaExceededFault",
      `${record.identifier} would be shared with ${accounts.length} accounts; the limit is ${shareQuota}`,
    );
  }
  record.sharedWith = accounts;
  await ctx.registry.save();
}
