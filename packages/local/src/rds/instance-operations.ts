import { rdsEventIds } from "@aurora-restore/core/events/rds";
import type { AccountRegion, CreateInstanceInput, DbInstance } from "@aurora-restore/core/ports/index";
import { instanceArn, normaliseIdentifier } from "./arns";
import { assertClusterStatus, auroraEngine, findCluster, where } from "./cluster-lookup";
import type { RdsContext } from "./context";
import { rdsError } from "./errors";
import type { InstanceRecord } from "./registry";
import { instanceView } from "./views";

/** Instances are records: the cluster's server serves them all, as Aurora's shared storage does. */
function findInstance(ctx: RdsContext, location: AccountRegion, identifier: string): InstanceRecord {
  const id = identifier.toLowerCase();
  const record = ctx.registry.instance(location, id);
  if (!record) throw rdsError("DBInstanceNotFoundFault", `DBInstance ${id} not found in ${where(location)}`);
  return record;
}

function assertInstanceStatus(record: InstanceRecord, action: string): void {
  if (record.status !== "available") {
    throw rdsError(
      "InvalidDBInstanceStateFault",
      `DBInstance ${record.identifier} is '${record.status}'; ${action} needs it 'available': wait and retry`,
    );
  }
}

function newInstanceName(
  ctx: RdsContext,
  location: AccountRegion,
  identifier: string,
  field: string,
): string {
  const id = normaliseIdentifier(identifier, field);
  if (ctx.registry.instanceNameTaken(location, id)) {
    throw rdsError(
      "DBInstanceAlreadyExistsFault",
      `DBInstance ${id} already exists in ${where(location)}: choose another identifier`,
    );
  }
  return id;
}

export function describeInstance(ctx: RdsContext, location: AccountRegion, identifier: string): DbInstance {
  return instanceView(ctx.registry, findInstance(ctx, location, identifier));
}

/** CreateDBInstance in an available cluster: creating, then available after `create` ms (event 0005). */
export async function createInstance(
  ctx: RdsContext,
  location: AccountRegion,
  input: CreateInstanceInput,
): Promise<DbInstance> {
  await ctx.ready();
  const cluster = findCluster(ctx, location, input.clusterIdentifier);
  if (input.engine !== cluster.engine) {
    throw rdsError(
      "InvalidParameterCombinationException",
      `Engine '${input.engine}' does not match DBCluster ${cluster.identifier}'s engine '${auroraEngine}'`,
    );
  }
  if (!/^db\.[a-z0-9]+\.[a-z0-9]+$/.test(input.instanceClass)) {
    throw rdsError(
      "InvalidParameterValueException",
      `DBInstanceClass '${input.instanceClass}' is invalid: use a class such as db.r6g.large`,
    );
  }
  const identifier = newInstanceName(ctx, location, input.instanceIdentifier, "DBInstanceIdentifier");
  assertClusterStatus(cluster, ["available"], "CreateDBInstance");
  const record: InstanceRecord = {
    accountId: location.accountId,
    region: location.region,
    resourceId: ctx.newResourceId("db"),
    identifier,
    clusterResourceId: cluster.resourceId,
    instanceClass: input.instanceClass,
    engine: input.engine,
    status: "creating",
    createdAt: ctx.now().toISOString(),
    ...(input.tags ? { tags: input.tags } : {}),
    // Kept as given, and reported by DescribeDBInstances; never public unless asked.
    settings: { ...input.settings, publiclyAccessible: input.settings?.publiclyAccessible ?? false },
  };
  ctx.registry.instances.push(record);
  await ctx.registry.save();
  ctx.transitions.run(
    `create instance ${identifier}`,
    () => completeInstanceCreation(ctx, record),
    async () => {
      record.status = "failed";
      await ctx.registry.save();
    },
  );
  return instanceView(ctx.registry, record);
}

export async function completeInstanceCreation(ctx: RdsContext, record: InstanceRecord): Promise<void> {
  await ctx.transitions.wait("create");
  record.status = "available";
  await ctx.registry.save();
  await ctx.emit(rdsEventIds.instanceCreated, {
    location: record,
    arn: instanceArn(record, record.identifier),
    identifier: record.identifier,
  });
}

/** ModifyDBInstance NewDBInstanceIdentifier: renaming for `rename` ms, then the new name (and ARN). */
export async function renameInstance(
  ctx: RdsContext,
  location: AccountRegion,
  input: { instanceIdentifier: string; newInstanceIdentifier: string },
): Promise<DbInstance> {
  await ctx.ready();
  const record = findInstance(ctx, location, input.instanceIdentifier);
  assertInstanceStatus(record, "a rename");
  const newName = newInstanceName(ctx, location, input.newInstanceIdentifier, "NewDBInstanceIdentifier");
  record.pendingIdentifier = newName;
  record.status = "renaming";
  await ctx.registry.save();
  ctx.transitions.run(`rename instance ${record.identifier}`, () => completeInstanceRename(ctx, record));
  return instanceView(ctx.registry, record);
}

export async function completeInstanceRename(ctx: RdsContext, record: InstanceRecord): Promise<void> {
  await ctx.transitions.wait("rename");
  if (record.pendingIdentifier !== undefined) record.identifier = record.pendingIdentifier;
  delete record.pendingIdentifier;
  record.status = "available";
  await ctx.registry.save();
}

export async function deleteInstance(
  ctx: RdsContext,
  location: AccountRegion,
  identifier: string,
): Promise<void> {
  await ctx.ready();
  const record = findInstance(ctx, location, identifier);
  if (record.status !== "available" && record.status !== "failed")
    assertInstanceStatus(record, "DeleteDBInstance");
  record.status = "deleting";
  await ctx.registry.save();
  ctx.transitions.run(`delete instance ${record.identifier}`, () => completeInstanceDeletion(ctx, record));
}

export async function completeInstanceDeletion(ctx: RdsContext, record: InstanceRecord): Promise<void> {
  await ctx.transitions.wait("delete");
  ctx.registry.remove(ctx.registry.instances, record);
  await ctx.registry.save();
  await ctx.emit(rdsEventIds.instanceDeleted, {
    location: record,
    arn: instanceArn(record, record.identifier),
    identifier: record.identifier,
  });
}
