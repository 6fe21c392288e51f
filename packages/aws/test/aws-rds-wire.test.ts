import { RDSClient } from "@aws-sdk/client-rds";
import { describe, expect, it } from "vitest";
import { createAwsClients } from "../src/all-clients";
import { createAwsRds } from "../src/aws-rds";
import { stagingKey } from "./fixtures";

/**
 * Runs the real SDK middleware (serialisation, the RDS cross-region presigner, signing) with an HTTP handler
 * that records the request instead of sending it: what AWS would receive, with no network.
 */
function recordingRds(region: string, responseXml: string) {
  const bodies: URLSearchParams[] = [];
  const client = new RDSClient({
    region,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example-secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        bodies.push(new URLSearchParams(String(request.body)));
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "text/xml" },
            body: Buffer.from(responseXml),
          },
        };
      },
    },
  });
  const clients = { ...createAwsClients(), rds: () => client };
  return { clients, bodies };
}

const copyResponse = `<CopyDBClusterSnapshotResponse><CopyDBClusterSnapshotResult><DBClusterSnapshot>
<DBClusterSnapshotIdentifier>orders-copy</DBClusterSnapshotIdentifier>
<DBClusterSnapshotArn>arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:orders-copy</DBClusterSnapshotArn>
<DBClusterIdentifier>orders</DBClusterIdentifier><Status>copying</Status><SnapshotType>manual</SnapshotType>
<StorageEncrypted>true</StorageEncrypted><KmsKeyId>${stagingKey}</KmsKeyId><Engine>aurora-postgresql</Engine>
<PercentProgress>0</PercentProgress></DBClusterSnapshot></CopyDBClusterSnapshotResult></CopyDBClusterSnapshotResponse>`;

describe("CopyDBClusterSnapshot on the wire", () => {
  it("sends a presigned URL for the source region with the destination region and key", async () => {
    const { clients, bodies } = recordingRds("eu-west-1", copyResponse);
    const source = "arn:aws:rds:us-east-1:222222222222:cluster-snapshot:orders-share";
    const copy = await createAwsRds(
      { accountId: "222222222222", region: "eu-west-1" },
      { clients },
    ).copyClusterSnapshot({
      source,
      targetIdentifier: "orders-copy",
      kmsKeyId: stagingKey,
      sourceRegion: "us-east-1",
    });

    const body = bodies[0];
    expect(body?.get("Action")).toBe("CopyDBClusterSnapshot");
    expect(body?.get("SourceDBClusterSnapshotIdentifier")).toBe(source);
    expect(body?.get("KmsKeyId")).toBe(stagingKey);
    expect(body?.get("CopyTags")).toBe("false");
    const presigned = new URL(body?.get("PreSignedUrl") ?? "missing:");
    expect(presigned.hostname).toBe("rds.us-east-1.amazonaws.com");
    expect(presigned.searchParams.get("DestinationRegion")).toBe("eu-west-1");
    expect(presigned.searchParams.get("KmsKeyId")).toBe(stagingKey);
    expect(presigned.searchParams.get("SourceDBClusterSnapshotIdentifier")).toBe(source);
    expect(presigned.searchParams.get("X-Amz-Credential")).toContain("/us-east-1/rds/aws4_request");
    expect(copy).toMatchObject({ identifier: "orders-copy", status: "copying", region: "eu-west-1" });
  });

  it("sends no presigned URL for a copy within the region", async () => {
    const { clients, bodies } = recordingRds("eu-west-1", copyResponse);
    await createAwsRds({ accountId: "222222222222", region: "eu-west-1" }, { clients }).copyClusterSnapshot({
      source: "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:orders-share",
      targetIdentifier: "orders-copy",
      kmsKeyId: stagingKey,
    });
    expect(bodies[0]?.has("PreSignedUrl")).toBe(false);
  });

  it("maps a wire error code without the Fault suffix to the port's code", async () => {
    const errorXml = `<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code>
<Message>DBInstance orders-old-1 not found.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
    const client = new RDSClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example-secret" },
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: { statusCode: 404, headers: { "content-type": "text/xml" }, body: Buffer.from(errorXml) },
        }),
      },
    });
    const clients = { ...createAwsClients(), rds: () => client };
    const rds = createAwsRds({ accountId: "222222222222", region: "eu-west-1" }, { clients });
    await expect(rds.deleteInstance("orders-old-1")).rejects.toMatchObject({
      code: "DBInstanceNotFoundFault",
      service: "rds",
    });
  });
});
