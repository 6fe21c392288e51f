import { describe, expect, it, vi } from "vitest";
import { ClusterAvailable, ClusterConfigured, RestoreFailed } from "../../src/events/domain";
import { planSchema } from "../../src/plan/schema";
import { AwsCallError } from "../../src/ports/errors";
import { onClusterAvailable } from "../../src/stages/configure";
import type { LoginBackoff } from "../../src/stages/configure/password-wait";
import { asDelivery } from "../../src/stages/kit/lease";
import { useDynalite } from "../support/dynalite";
import { SqlError, scramMatches } from "../support/fake-database";
import { createWorld, nextHost, planInput } from "../support/world";

const backend = useDynalite();

function backoff(sleeps: number[], timeoutMs = 1_000): LoginBackoff {
  return {
    initialDelayMs: 10,
    maxDelayMs: 40,
    timeoutMs,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

describe("configure", () => {
  it("stores the master secret before ModifyDBCluster, waits out 28P01, creates users, grants and runs SQL", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await world.nextClusterAvailable();
    const sleeps: number[] = [];

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff(sleeps) });

    const moved = await world.store.get(operation.operationId);
    expect(moved?.step).toBe("configured");
    const storeSecret = world.calls.lines.indexOf("secrets.createSecret:aurora-restore/staging/master");
    const modify = world.calls.lines.indexOf("rds.modifyCluster:password");
    expect(storeSecret).toBeGreaterThanOrEqual(0);
    expect(modify).toBeGreaterThan(storeSecret);

    // A new target: nothing read these secrets before, so they are created with the new credentials.
    const master = world.secrets.current("aurora-restore/staging/master");
    expect(master).toEqual({
      username: "postgres",
      password: world.passwords[0],
      host: nextHost,
      port: 5432,
      dbname: "app",
      engine: "postgres",
    });
    expect(world.secrets.staged("aurora-restore/staging/master", "AWSPENDING")).toBeUndefined();
    // RDS refused the new password three times (asynchronous change); the stage backed off and retried.
    expect(world.database.connects.map((c) => c.code ?? "ok")).toEqual(["28P01", "28P01", "28P01", "ok"]);
    expect(sleeps).toEqual([10, 20, 40]);
    expect(world.database.role(nextHost, "postgres")?.password).toBe(world.passwords[0]);

    for (const username of ["app_reader", "app_writer"]) {
      const secret = world.secrets.current(`aurora-restore/staging/${username}`);
      expect(secret?.username).toBe(username);
      const role = world.database.role(nextHost, username);
      expect(role?.verifier).toMatch(/^SCRAM-SHA-256\$4096:/);
      expect(scramMatches(role!.verifier!, String(secret?.password))).toBe(true);
    }

    const texts = world.database.queries.map((q) => q.text);
    expect(texts).toContain('GRANT CONNECT ON DATABASE "app" TO "app_reader"');
    expect(texts).toContain('GRANT USAGE ON SCHEMA "public" TO "app_reader"');
    expect(texts).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "app_reader"');
    expect(texts).toContain(
      'GRANT SELECT, INSERT ON TABLE "sales"."orders", "sales"."order_lines" TO "app_writer"',
    );
    const mask = texts.indexOf("UPDATE customers SET email = 'user' || id || '@example.invalid'");
    expect(mask).toBeGreaterThan(
      texts.lastIndexOf(
        'GRANT SELECT, INSERT ON TABLE "sales"."orders", "sales"."order_lines" TO "app_writer"',
      ),
    );
    expect(texts.indexOf("TRUNCATE sessions")).toBeGreaterThan(mask);
    // Passwords travel to PostgreSQL as SCRAM verifiers only.
    for (const password of world.passwords) expect(JSON.stringify(texts)).not.toContain(password);

    const published = world.publisher.delivered(ClusterConfigured);
    expect(published).toHaveLength(1);
    const detail = published[0]!.detail as {
      masterSecretArn: string;
      applicationUsers: { username: string }[];
    };
    expect(detail.masterSecretArn).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:222222222222:secret:aurora-restore\/staging\/master/,
    );
    expect(detail.applicationUsers.map((u) => u.username)).toEqual(["app_reader", "app_writer"]);

    const audited = (await world.audit.listByOperation(operation.operationId)).map((e) => e.action);
    expect(audited).toEqual(
      expect.arrayContaining([
        "store-master-secret",
        "set-master-password",
        "master-login-verified",
        "create-user",
        "grant",
        "post-restore-sql",
        "configured",
      ]),
    );
    const observable = await world.observable(operation.operationId);
    for (const password of [...world.passwords, "password-from-the-snapshot"]) {
      expect(observable).not.toContain(password);
    }
  });

  it("stages the new credentials as AWSPENDING in existing secrets, leaving AWSCURRENT as the target uses it", async () => {
    const world = await createWorld(backend());
    const before = world.seedTargetSecrets();
    const { operation, event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 0;

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });

    expect((await world.store.get(operation.operationId))?.step).toBe("configured");
    // Stored before RDS is asked to use it, as AWSPENDING only.
    const stage = world.calls.lines.indexOf(
      "secrets.putSecretValue:aurora-restore/staging/master:AWSPENDING",
    );
    expect(stage).toBeGreaterThanOrEqual(0);
    expect(world.calls.lines.indexOf("rds.modifyCluster:password")).toBeGreaterThan(stage);
    expect(world.calls.lines.filter((c) => c.startsWith("secrets.putSecretValue"))).toEqual([
      "secrets.putSecretValue:aurora-restore/staging/master:AWSPENDING",
      "secrets.putSecretValue:aurora-restore/staging/app_reader:AWSPENDING",
      "secrets.putSecretValue:aurora-restore/staging/app_writer:AWSPENDING",
    ]);
    for (const [name, old] of before) {
      // What the target's applications read is untouched: the old password, the live target's host.
      expect(world.secrets.current(name)).toEqual(old);
      const pending = world.secrets.staged(name, "AWSPENDING");
      expect(pending).toMatchObject({ username: old.username, host: nextHost, port: 5432, dbname: "app" });
      expect(pending?.password).not.toBe(old.password);
    }
    const master = world.secrets.staged("aurora-restore/staging/master", "AWSPENDING");
    expect(world.database.role(nextHost, "postgres")?.password).toBe(master?.password);
    for (const username of ["app_reader", "app_writer"]) {
      const pending = world.secrets.staged(`aurora-restore/staging/${username}`, "AWSPENDING");
      const role = world.database.role(nextHost, username);
      expect(scramMatches(role!.verifier!, String(pending?.password))).toBe(true);
    }
    const stored = (await world.audit.listByOperation(operation.operationId)).find(
      (e) => e.action === "store-master-secret",
    );
    expect(stored?.details).toMatchObject({ versionStage: "AWSPENDING", versionId: expect.any(String) });
    const observable = await world.observable(operation.operationId);
    for (const password of world.passwords) expect(observable).not.toContain(password);
  });

  it("does nothing twice for a duplicate or replayed ClusterAvailable", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 0;
    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });
    const callsAfterFirst = world.calls.lines.length;

    await onClusterAvailable(world.deps, { ...event, id: "another-delivery" }, { loginBackoff: backoff([]) });
    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });

    expect(world.calls.lines.length).toBe(callsAfterFirst);
    expect(world.passwords).toHaveLength(3);
    expect(world.publisher.delivered(ClusterConfigured)).toHaveLength(1);
    const ignored = (await world.audit.listByOperation(operation.operationId)).filter(
      (e) => e.outcome === "ignored-duplicate",
    );
    expect(ignored).toHaveLength(2);
  });

  it("resumes when the same event is retried after a transient failure, reusing the credentials it staged", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 0;
    let throttle = true;
    world.secrets.failWith = (method, input) => {
      const name = (input as { name?: string }).name;
      if (throttle && method === "createSecret" && name === "aurora-restore/staging/app_writer") {
        throttle = false;
        return new AwsCallError("ThrottlingException", "Rate exceeded", "secretsmanager");
      }
      return undefined;
    };

    await expect(
      asDelivery(world.deps, () => onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) })),
    ).rejects.toThrow(/Rate exceeded/);
    expect((await world.store.get(operation.operationId))?.step).toBe("configuring");

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });
    expect((await world.store.get(operation.operationId))?.step).toBe("configured");
    // The retry found the master secret's version the first attempt wrote and set that same password again:
    // one master password per operation, never a second one.
    expect(world.calls.lines.filter((c) => c.startsWith("secrets.putSecretValue"))).toEqual([]);
    expect(
      world.calls.lines.filter((c) => c.startsWith("secrets.createSecret:aurora-restore/staging/master")),
    ).toHaveLength(1);
    expect(world.secrets.current("aurora-restore/staging/master")?.password).toBe(world.passwords[0]);
    expect(world.database.role(nextHost, "postgres")?.password).toBe(world.passwords[0]);
    const writer = world.secrets.current("aurora-restore/staging/app_writer");
    expect(
      scramMatches(world.database.role(nextHost, "app_writer")!.verifier!, String(writer?.password)),
    ).toBe(true);
  });

  it("a delivery killed in the login wait (a Lambda timeout) is resumed after its lease with the pending credentials, never a new password", async () => {
    const world = await createWorld(backend());
    world.seedTargetSecrets();
    const { operation, event } = await world.nextClusterAvailable();
    // A short lease: the killed delivery's claim has expired when Lambda's retry of the same event comes.
    world.deps.leaseMs = 1_000;
    world.database.passwordDelayLogins = 3;
    const killed = onClusterAvailable(world.deps, event, {
      loginBackoff: { ...backoff([]), sleep: () => new Promise<void>(() => {}) },
    });
    void killed;
    await vi.waitFor(() => expect(world.calls.lines).toContain("rds.modifyCluster:password"));
    const staged = world.secrets.staged("aurora-restore/staging/master", "AWSPENDING")?.password;
    expect(staged).toBe(world.passwords[0]);

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });

    expect((await world.store.get(operation.operationId))?.step).toBe("configured");
    // The retry found the AWSPENDING version the killed delivery staged: the same password, set again at
    // most, and no new one generated.
    expect(
      world.calls.lines.filter((c) => c.startsWith("secrets.putSecretValue:aurora-restore/staging/master")),
    ).toHaveLength(1);
    expect(world.calls.lines.filter((c) => c === "rds.modifyCluster:password").length).toBeLessThanOrEqual(2);
    expect(world.secrets.staged("aurora-restore/staging/master", "AWSPENDING")?.password).toBe(staged);
    expect(world.database.role(nextHost, "postgres")?.password).toBe(staged);
    expect(world.passwords).toHaveLength(3);
  });

  it("fails with an actionable error when the new password is never accepted, and keeps it in the secret", async () => {
    const world = await createWorld(backend());
    const before = world.seedTargetSecrets();
    const { operation, event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 1_000;
    const sleeps: number[] = [];

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff(sleeps, 100) });

    const failed = await world.store.get(operation.operationId);
    expect(failed?.step).toBe("failed");
    expect(failed?.error?.code).toBe("MasterPasswordNotApplied");
    expect(failed?.error?.message).toMatch(/resetting-master-credentials/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(100);
    expect(world.secrets.staged("aurora-restore/staging/master", "AWSPENDING")?.password).toBe(
      world.passwords[0],
    );
    // The target was never touched: its applications still read working credentials.
    for (const [name, old] of before) expect(world.secrets.current(name)).toEqual(old);
    expect(world.publisher.delivered(RestoreFailed)).toHaveLength(1);
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    const observable = await world.observable(operation.operationId);
    expect(observable).not.toContain(world.passwords[0]);
  });

  it("quotes identifiers with odd characters instead of concatenating them", async () => {
    const input = planInput();
    const plan = planSchema.parse(input);
    const user = plan.targets[0]!.applicationUsers[0]!;
    // Bypasses the plan's name rules on purpose: the SQL must still be safe.
    user.username = 'we"ird; DROP TABLE customers; --';
    user.grants = [{ privileges: ["SELECT"], schema: 'sch"ema', tables: ['ta"ble'] }];
    plan.targets[0]!.applicationUsers = [user];
    const world = await createWorld(backend(), [plan]);
    const { event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 0;

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });

    const texts = world.database.queries.map((q) => q.text);
    expect(texts.find((t) => t.startsWith("CREATE ROLE"))).toMatch(
      /^CREATE ROLE "we""ird; DROP TABLE customers; --" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$/,
    );
    expect(texts).toContain(
      'GRANT SELECT ON TABLE "sch""ema"."ta""ble" TO "we""ird; DROP TABLE customers; --"',
    );
    expect(world.database.role(nextHost, 'we"ird; DROP TABLE customers; --')).toBeDefined();
  });

  it("fails naming the post-restore script and its SQLSTATE when it errors", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await world.nextClusterAvailable();
    world.database.passwordDelayLogins = 0;
    world.database.answer = (q) =>
      q.text.startsWith("TRUNCATE") ? new SqlError("42P01", 'relation "sessions" does not exist') : undefined;

    await onClusterAvailable(world.deps, event, { loginBackoff: backoff([]) });

    const failed = await world.store.get(operation.operationId);
    expect(failed?.error).toMatchObject({ stage: "configure", code: "42P01" });
    expect(failed?.error?.message).toMatch(/Post-restore SQL "drop-sessions" failed/);
    expect(world.publisher.delivered(ClusterConfigured)).toHaveLength(0);
  });

  it("logs in as the master user ClusterAvailable names, without describing the cluster; an event without it describes", async () => {
    for (const masterUsername of ["postgres", undefined]) {
      const world = await createWorld(backend());
      const { operation, event } = await world.nextClusterAvailable();
      const delivered = masterUsername
        ? world.deliver(ClusterAvailable, {
            ...world.meta(operation),
            cluster: event.detail.cluster,
            endpoint: event.detail.endpoint,
            masterUsername,
          })
        : event;
      await onClusterAvailable(world.deps, delivered, { loginBackoff: backoff([]) });
      expect((await world.store.get(operation.operationId))?.step).toBe("configured");
      expect(world.secrets.current("aurora-restore/staging/master")?.username).toBe("postgres");
      expect(world.calls.lines.filter((c) => c.startsWith("rds.describeCluster"))).toEqual(
        masterUsername ? [] : ["rds.describeCluster:staging-next"],
      );
    }
  });
});
