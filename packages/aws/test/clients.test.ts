import "aws-sdk-client-mock-vitest/extend";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import { DescribeDBClustersCommand, RDSClient } from "@aws-sdk/client-rds";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createAwsClients } from "../src/all-clients";
import { createAwsRds } from "../src/aws-rds";
import { createAssumeRoleProvider } from "../src/clients";
import { prod, sdkCluster, sdkError, staging } from "./fixtures";

let rdsMock = mockClient(RDSClient);
const stsMock = mockClient(STSClient);

const base = async () => ({ accessKeyId: "AKIAPIPELINE", secretAccessKey: "pipeline-secret" });

function assumed(n: number, expiration: Date) {
  return {
    Credentials: {
      AccessKeyId: `ASIATARGET${n}`,
      SecretAccessKey: `target-secret-${n}`,
      SessionToken: `token-${n}`,
      Expiration: expiration,
    },
  };
}

beforeEach(() => {
  rdsMock.restore();
  rdsMock = mockClient(RDSClient);
  stsMock.reset();
});

describe("createAwsClients", () => {
  it("builds clients with adaptive retries and bounded attempts in the scope's region", async () => {
    const client = createAwsClients({ maxAttempts: 4, credentials: base }).rds(prod);
    expect(await client.config.region()).toBe("us-east-1");
    expect(client.config.retryMode).toBe("adaptive");
    const strategy = await client.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe("adaptive");
    expect(await client.config.maxAttempts()).toBe(4);
  });

  it("returns the same client for the same scope and service, another for another region", () => {
    const clients = createAwsClients({ credentials: base });
    expect(clients.rds(prod)).toBe(clients.rds({ ...prod }));
    expect(clients.rds(prod)).not.toBe(clients.rds({ ...prod, region: "eu-west-1" }));
  });

  it("creates nothing and assumes no role until the first call", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [sdkCluster()] });
    const rds = createAwsRds(staging, { credentials: base });
    expect(rdsMock).not.toHaveReceivedAnyCommand();
    expect(stsMock).not.toHaveReceivedAnyCommand();
    expect(rds.location).toEqual({ accountId: "222222222222", region: "eu-west-1" });
  });

  it("signs a cross-account scope's calls with the assumed role's credentials", async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed(1, new Date("2099-01-01T00:00:00Z")));
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [sdkCluster()] });
    await createAwsRds(staging, { credentials: base, roleSessionName: "refresh-op-1" }).describeCluster(
      "orders-staging",
    );

    const client = rdsMock.call(0).thisValue as RDSClient;
    expect(await client.config.region()).toBe("eu-west-1");
    const identity = await client.config.credentials();
    expect(identity).toMatchObject({
      accessKeyId: "ASIATARGET1",
      secretAccessKey: "target-secret-1",
      sessionToken: "token-1",
    });
    expect(stsMock).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, {
      RoleArn: "arn:aws:iam::222222222222:role/aurora-restore",
      RoleSessionName: "refresh-op-1",
    });
    const stsClient = stsMock.call(0).thisValue as STSClient;
    expect(await stsClient.config.credentials()).toMatchObject({ accessKeyId: "AKIAPIPELINE" });
  });

  it("uses the base credentials, without STS, for a scope with no role", async () => {
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [sdkCluster()] });
    await createAwsRds(prod, { credentials: base }).describeCluster("orders");
    const client = rdsMock.call(0).thisValue as RDSClient;
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: "AKIAPIPELINE" });
    expect(stsMock).not.toHaveReceivedAnyCommand();
  });

  it("refuses a role in another account than the scope's", () => {
    const clients = createAwsClients({ credentials: base });
    expect(() => clients.rds({ ...staging, roleArn: "arn:aws:iam::333333333333:role/x" })).toThrow(
      /is not in account 222222222222/,
    );
  });
});

describe("createAssumeRoleProvider", () => {
  it("caches credentials until five minutes before they expire, then assumes again", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(assumed(1, new Date("2026-01-01T01:00:00Z")))
      .resolvesOnce(assumed(2, new Date("2026-01-01T02:00:00Z")));
    const provider = createAssumeRoleProvider({
      roleArn: staging.roleArn as string,
      region: staging.region,
      sessionName: "s",
      baseCredentials: base,
      now: () => now,
    });
    expect((await provider()).accessKeyId).toBe("ASIATARGET1");
    now = new Date("2026-01-01T00:54:59Z");
    expect((await provider()).accessKeyId).toBe("ASIATARGET1");
    now = new Date("2026-01-01T00:55:00Z");
    expect((await provider()).accessKeyId).toBe("ASIATARGET2");
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it("shares one AssumeRole call among concurrent callers", async () => {
    stsMock.on(AssumeRoleCommand).resolves(assumed(1, new Date("2099-01-01T00:00:00Z")));
    const provider = createAssumeRoleProvider({
      roleArn: "arn:aws:iam::1:role/r",
      region: "us-east-1",
      sessionName: "s",
    });
    const all = await Promise.all([provider(), provider(), provider()]);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(["ASIATARGET1"]));
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it("fails with AccessDenied naming the role and the trust policy, and can try again later", async () => {
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(sdkError("AccessDenied", "not authorized to perform sts:AssumeRole", 403))
      .resolves(assumed(1, new Date("2099-01-01T00:00:00Z")));
    const provider = createAssumeRoleProvider({
      roleArn: "arn:aws:iam::1:role/r",
      region: "us-east-1",
      sessionName: "s",
    });
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: "AccessDenied", service: "sts" });
    expect((error as Error).message).toContain("arn:aws:iam::1:role/r");
    expect((error as Error).message).toContain("trust policy");
    expect((await provider()).accessKeyId).toBe("ASIATARGET1");
  });

  it("reports a throttled AssumeRole as retryable", async () => {
    stsMock.on(AssumeRoleCommand).rejects(sdkError("Throttling", "Rate exceeded", 400));
    const provider = createAssumeRoleProvider({
      roleArn: "arn:aws:iam::1:role/r",
      region: "us-east-1",
      sessionName: "s",
    });
    await expect(provider()).rejects.toMatchObject({
      code: "ThrottlingException",
      retryable: true,
      service: "sts",
    });
  });

  it("surfaces an STS failure met while signing an RDS call as the STS error, not an RDS one", async () => {
    rdsMock.restore();
    stsMock.on(AssumeRoleCommand).rejects(sdkError("AccessDenied", "denied", 403));
    const provider = createAssumeRoleProvider({
      roleArn: "arn:aws:iam::1:role/r",
      region: "us-east-1",
      sessionName: "s",
    });
    let requests = 0;
    // A real RDS client and middleware stack; its HTTP handler is a fake that must never be reached.
    const rds = new RDSClient({
      region: "us-east-1",
      credentials: provider,
      maxAttempts: 1,
      requestHandler: {
        handle: async () => {
          requests++;
          throw new Error("no request may be sent without credentials");
        },
      },
    });
    const clients = { ...createAwsClients({ credentials: base }), rds: () => rds };
    const error = await createAwsRds(prod, { clients })
      .describeCluster("orders")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: "AccessDenied", service: "sts" });
    expect(requests).toBe(0);
  });
});
