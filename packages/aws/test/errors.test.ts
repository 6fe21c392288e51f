import "aws-sdk-client-mock-vitest/extend";
import { AwsCallError, type AwsErrorCode, rdsErrorCodes } from "@aurora-restore/core/ports/index";
import {
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBClusterQuotaExceededFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  InstanceQuotaExceededFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  KMSKeyNotAccessibleFault,
  ModifyDBClusterCommand,
  RDSClient,
  SharedSnapshotQuotaExceededFault,
  SnapshotQuotaExceededFault,
  StorageQuotaExceededFault,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsRds } from "../src/aws-rds";
import { normaliseErrorCode, toAwsCallError } from "../src/errors";
import { prod, sdkError } from "./fixtures";

const rdsMock = mockClient(RDSClient);
beforeEach(() => {
  rdsMock.reset();
});

const meta = { $metadata: { httpStatusCode: 400 }, message: "from AWS" };

/** Each port code as the SDK raises it: its exception class where the SDK has one, else a named error. */
const sdkExceptions: [AwsErrorCode, Error][] = [
  ["DBClusterNotFoundFault", new DBClusterNotFoundFault(meta)],
  ["DBClusterAlreadyExistsFault", new DBClusterAlreadyExistsFault(meta)],
  ["DBClusterSnapshotNotFoundFault", new DBClusterSnapshotNotFoundFault(meta)],
  ["DBClusterSnapshotAlreadyExistsFault", new DBClusterSnapshotAlreadyExistsFault(meta)],
  ["InvalidDBClusterSnapshotStateFault", new InvalidDBClusterSnapshotStateFault(meta)],
  ["InvalidDBClusterStateFault", new InvalidDBClusterStateFault(meta)],
  ["DBInstanceNotFoundFault", new DBInstanceNotFoundFault(meta)],
  ["DBInstanceAlreadyExistsFault", new DBInstanceAlreadyExistsFault(meta)],
  ["InvalidDBInstanceStateFault", new InvalidDBInstanceStateFault(meta)],
  ["KMSKeyNotAccessibleFault", new KMSKeyNotAccessibleFault(meta)],
  ["SharedSnapshotQuotaExceededFault", new SharedSnapshotQuotaExceededFault(meta)],
  ["SnapshotQuotaExceededFault", new SnapshotQuotaExceededFault(meta)],
  ["DBClusterQuotaExceededFault", new DBClusterQuotaExceededFault(meta)],
  ["InstanceQuotaExceededFault", new InstanceQuotaExceededFault(meta)],
  ["StorageQuotaExceededFault", new StorageQuotaExceededFault(meta)],
  ["InvalidParameterValueException", sdkError("InvalidParameterValue")],
  ["InvalidParameterCombinationException", sdkError("InvalidParameterCombination")],
];

/** Wire codes RDS sends without the suffix of the SDK's class name. */
const suffixless: [string, AwsErrorCode][] = [
  ["DBInstanceNotFound", "DBInstanceNotFoundFault"],
  ["SnapshotQuotaExceeded", "SnapshotQuotaExceededFault"],
  ["InvalidDBInstanceState", "InvalidDBInstanceStateFault"],
  ["DBClusterNotFound", "DBClusterNotFoundFault"],
  ["DBClusterSnapshotNotFound", "DBClusterSnapshotNotFoundFault"],
  ["InvalidDBClusterStateFault", "InvalidDBClusterStateFault"],
  ["KMSKeyNotAccessible", "KMSKeyNotAccessibleFault"],
  ["InstanceQuotaExceeded", "InstanceQuotaExceededFault"],
];

describe("RDS errors through the adapter", () => {
  it("covers every RDS code of the port", () => {
    expect(sdkExceptions.map(([code]) => code).sort()).toEqual([...rdsErrorCodes].sort());
  });

  it.each(sdkExceptions)("maps %s from the SDK exception, keeping it as cause", async (code, exception) => {
    rdsMock.on(DescribeDBClustersCommand).rejects(exception);
    const error = await createAwsRds(prod)
      .describeCluster("orders")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code, service: "rds", retryable: false, cause: exception });
    expect((error as Error).message).toContain("DescribeDBClusters orders failed in 111111111111/us-east-1");
    expect((error as Error).message).toContain(exception.message);
  });

  it.each(suffixless)("normalises the wire name %s to %s", async (name, code) => {
    rdsMock.on(DescribeDBClustersCommand).rejects(sdkError(name));
    await expect(createAwsRds(prod).describeCluster("orders")).rejects.toMatchObject({ code });
  });

  it.each(["ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"])(
    "maps %s to a retryable ThrottlingException",
    async (name) => {
      rdsMock.on(DescribeDBClustersCommand).rejects(sdkError(name, "Rate exceeded"));
      await expect(createAwsRds(prod).describeCluster("orders")).rejects.toMatchObject({
        code: "ThrottlingException",
        retryable: true,
      });
    },
  );

  it("maps an unknown name to UnknownError naming the original", async () => {
    rdsMock
      .on(DescribeDBClustersCommand)
      .rejects(sdkError("DBSubnetGroupNotFoundFault", "no such subnet group"));
    const error = await createAwsRds(prod)
      .describeCluster("orders")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UnknownError", retryable: false });
    expect((error as Error).message).toContain("DBSubnetGroupNotFoundFault: no such subnet group");
  });

  it("never puts the password passed in into the message, even when AWS echoes it", async () => {
    const password = "Sup3r-Secret-Pa55";
    rdsMock
      .on(ModifyDBClusterCommand)
      .rejects(sdkError("InvalidParameterValue", `MasterUserPassword ${password} is not a valid password`));
    const error = await createAwsRds(prod)
      .modifyCluster({ clusterIdentifier: "orders", masterUserPassword: password })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "InvalidParameterValueException" });
    expect((error as Error).message).not.toContain(password);
    expect(String((error as Error).stack)).not.toContain(password);
    expect((error as Error).message).toContain("[redacted]");
  });
});

describe("normaliseErrorCode", () => {
  it.each([
    ["NotFoundException", "kms", "NotFoundException"],
    ["AccessDeniedException", "kms", "AccessDeniedException"],
    ["DisabledException", "kms", "DisabledException"],
    ["NotFound", "sns", "NotFoundException"],
    ["AuthorizationError", "sns", "AuthorizationErrorException"],
    ["InvalidParameter", "sns", "InvalidParameterException"],
    ["ResourceNotFoundException", "secretsmanager", "ResourceNotFoundException"],
    ["ResourceExistsException", "secretsmanager", "ResourceExistsException"],
    ["DecryptionFailure", "secretsmanager", "DecryptionFailure"],
    ["AccessDenied", "rds", "AccessDenied"],
    ["AccessDeniedException", "events", "AccessDenied"],
    ["ThrottledException", "sns", "ThrottlingException"],
    ["InternalFailure", "events", "ServiceUnavailable"],
    ["InternalServiceError", "secretsmanager", "ServiceUnavailable"],
    ["NotFoundException", "rds", "UnknownError"],
  ] as const)("%s from %s is %s", (name, service, code) => {
    expect(normaliseErrorCode(sdkError(name), service)).toBe(code);
  });

  it("treats HTTP 429 and the SDK's throttling flag as throttling whatever the name", () => {
    expect(normaliseErrorCode(sdkError("Whatever", "x", 429), "rds")).toBe("ThrottlingException");
    const flagged = Object.assign(sdkError("Whatever"), { $retryable: { throttling: true } });
    expect(normaliseErrorCode(flagged, "rds")).toBe("ThrottlingException");
  });

  it("treats a 5xx without a known name as ServiceUnavailable, retryable", () => {
    const error = toAwsCallError(sdkError("SomethingBroke", "x", 503), {
      service: "rds",
      operation: "DescribeDBClusters",
      location: prod,
    });
    expect(error).toMatchObject({ code: "ServiceUnavailable", retryable: true });
  });

  it("never matches on message text", () => {
    expect(normaliseErrorCode(sdkError("Mystery", "DBClusterNotFoundFault: Rate exceeded"), "rds")).toBe(
      "UnknownError",
    );
  });

  it("passes an AwsCallError through unchanged", () => {
    const original = new AwsCallError("AccessDenied", "denied", "sts");
    expect(toAwsCallError(original, { service: "rds", operation: "X", location: prod })).toBe(original);
  });

  it("adds the fix to a KMS key error", () => {
    const error = toAwsCallError(new KMSKeyNotAccessibleFault(meta), {
      service: "rds",
      operation: "CopyDBClusterSnapshot",
      resource: "orders-copy",
      location: prod,
    });
    expect(error.message).toMatch(/^KMSKeyNotAccessibleFault: CopyDBClusterSnapshot orders-copy failed/);
    expect(error.message).toContain("key policy must let this account use the key");
  });
});
