import { describe, expect, it } from "vitest";
import { ClusterConfigured, RestoreFailed, RestoreVerified } from "../../src/events/domain";
import { planSchema } from "../../src/plan/schema";
import { onClusterAvailable } from "../../src/stages/configure";
import { onClusterConfigured } from "../../src/stages/verify";
import { useDynalite } from "../support/dynalite";
import {
  createWorld,
  healthyAnswers,
  nextHost,
  planInput,
  targetLocation,
  type World,
} from "../support/world";

const backend = useDynalite();

/** Runs the real configure stage, then returns the ClusterConfigured event verify receives. */
async function configured(world: World) {
  const { operation, event: available } = await world.nextClusterAvailable();
  world.database.passwordDelayLogins = 0;
  await onClusterAvailable(world.deps, available);
  const event = world.publisher.only(ClusterConfigured);
  world.database.queries.length = 0;
  world.database.answer = healthyAnswers;
  return { operation, event };
}

describe("verify", () => {
  it("logs in as the first application user, runs every check and publishes RestoreVerified", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await configured(world);

    await onClusterConfigured(world.deps, event);

    expect((await world.store.get(operation.operationId))?.step).toBe("verified");
    const checkQueries = world.database.queries;
    expect(new Set(checkQueries.map((q) => q.user))).toEqual(new Set(["app_reader"]));
    expect(checkQueries).toContainEqual(
      expect.objectContaining({
        text: "SELECT to_regclass($1) IS NOT NULL AS present",
        values: ["public.customers"],
      }),
    );
    expect(checkQueries.map((q) => q.text)).toContain('SELECT count(*) AS count FROM "sales"."orders"');
    expect(world.database.connects.filter((c) => c.ok).map((c) => c.user)).toEqual(
      expect.arrayContaining(["app_reader", "app_writer"]),
    );

    const [verified] = world.publisher.delivered(RestoreVerified);
    const checks = (verified!.detail as { checks: { name: string; passed: boolean }[] }).checks;
    expect(checks.map((c) => [c.name, c.passed])).toEqual([
      ["login:app_reader", true],
      ["login:app_writer", true],
      ["customers present", true],
      ["orders rows", true],
      ["emails masked", true],
    ]);
    const recorded = (await world.audit.listByOperation(operation.operationId)).filter(
      (e) => e.action === "check",
    );
    expect(recorded).toHaveLength(5);
    const observable = await world.observable(operation.operationId);
    for (const password of world.passwords) expect(observable).not.toContain(password);
  });

  it("logs in with the AWSPENDING credentials when the target's secrets exist; AWSCURRENT stays unchanged", async () => {
    const world = await createWorld(backend());
    const before = world.seedTargetSecrets();
    const { operation, event } = await configured(world);

    await onClusterConfigured(world.deps, event);

    expect((await world.store.get(operation.operationId))?.step).toBe("verified");
    const logins = world.database.connects.filter((c) => c.ok);
    expect(logins.map((c) => c.user)).toEqual(expect.arrayContaining(["app_reader", "app_writer"]));
    // Logged in to the restored cluster only: nothing of the target changed before cutover.
    expect(new Set(world.database.connects.map((c) => c.host))).toEqual(new Set([nextHost]));
    for (const [name, old] of before) {
      expect(world.secrets.current(name)).toEqual(old);
      expect(world.secrets.staged(name, "AWSPENDING")).toMatchObject({ host: nextHost });
    }
  });

  it("fails the operation naming each failed check, so cutover never runs", async () => {
    const world = await createWorld(backend());
    const before = world.seedTargetSecrets();
    const { operation, event } = await configured(world);
    world.database.answer = (q) => {
      if (q.text.startsWith("SELECT count(*)")) return { rows: [{ count: "0" }] };
      if (q.text.includes("bool_and")) return { rows: [{ bool_and: false }] };
      return healthyAnswers(q);
    };

    await onClusterConfigured(world.deps, event);

    const failed = await world.store.get(operation.operationId);
    expect(failed?.step).toBe("failed");
    expect(failed?.error).toMatchObject({ stage: "verify", code: "VerificationFailed" });
    expect(failed?.error?.message).toContain(
      '"orders rows" (sales.orders has 0 rows (expected >= 1 and <= 1000))',
    );
    expect(failed?.error?.message).toContain('"emails masked" (returned false)');
    expect(failed?.error?.message).not.toContain("customers present");
    expect(world.publisher.delivered(RestoreVerified)).toHaveLength(0);
    const [restoreFailed] = world.publisher.delivered(RestoreFailed);
    expect((restoreFailed!.detail as { message: string }).message).toContain("orders rows");
    expect(await world.store.lockHolder("222222222222/eu-west-1/staging")).toBeUndefined();
    // The target's applications still read the credentials that work on the target.
    for (const [name, old] of before) expect(world.secrets.current(name)).toEqual(old);
  });

  it("treats a query error or a non-boolean answer as a failed check with the reason", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await configured(world);
    world.database.answer = (q) => {
      if (q.text.includes("bool_and")) return { rows: [{ bool_and: "yes" }] };
      if (q.text.startsWith("SELECT count(*)")) {
        return Object.assign(new Error('relation "sales.orders" does not exist'), { code: "42P01" });
      }
      return healthyAnswers(q);
    };

    await onClusterConfigured(world.deps, event);

    const message = (await world.store.get(operation.operationId))?.error?.message ?? "";
    expect(message).toContain('"orders rows" (42P01: relation "sales.orders" does not exist)');
    expect(message).toContain(
      '"emails masked" (expected one row with one boolean column, got 1 row(s) with string)',
    );
  });

  it("quotes each part of a row-count table name", async () => {
    const input = planInput();
    input.targets[0]!.checks = [{ type: "row-count", name: "odd", table: 'we"ird.ta"ble', min: 1 }];
    const world = await createWorld(backend(), [planSchema.parse(input)]);
    const { event } = await configured(world);

    await onClusterConfigured(world.deps, event);

    expect(world.database.queries.map((q) => q.text)).toContain(
      'SELECT count(*) AS count FROM "we""ird"."ta""ble"',
    );
  });

  it("fails the login check of a user whose secret no longer matches its role", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await configured(world);
    const writer = event.detail.applicationUsers.find((u) => u.username === "app_writer")!;
    const current = world.secrets.current(writer.secretArn)!;
    await world.secrets.port(targetLocation).putSecretValue({
      secretId: writer.secretArn,
      secretString: JSON.stringify({ ...current, password: "changed" }),
    });

    await onClusterConfigured(world.deps, event);

    const failed = await world.store.get(operation.operationId);
    expect(failed?.error?.message).toContain('"login:app_writer" (28P01');
  });

  it("logs in as the master user when the plan has no application users", async () => {
    const input = planInput();
    input.targets[0]!.applicationUsers = [];
    const world = await createWorld(backend(), [planSchema.parse(input)]);
    const { operation, event } = await configured(world);

    await onClusterConfigured(world.deps, event);

    expect((await world.store.get(operation.operationId))?.step).toBe("verified");
    expect(new Set(world.database.queries.map((q) => q.user))).toEqual(new Set(["postgres"]));
  });

  it("ignores a duplicate ClusterConfigured", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await configured(world);
    await onClusterConfigured(world.deps, event);
    const queries = world.database.queries.length;

    await onClusterConfigured(world.deps, { ...event, id: "duplicate" });

    expect(world.database.queries.length).toBe(queries);
    expect(world.publisher.delivered(RestoreVerified)).toHaveLength(1);
    const entries = await world.audit.listByOperation(operation.operationId);
    expect(entries.some((e) => e.stage === "verify" && e.outcome === "ignored-duplicate")).toBe(true);
  });

  it("claims no step: two deliveries at once run the read-only checks, one write moves the operation once", async () => {
    const world = await createWorld(backend());
    const { operation, event } = await configured(world);
    const before = (await world.store.get(operation.operationId))!;
    const startedAt = world.deps.clock().toISOString();
    const callsBefore = world.calls.lines.length;

    await Promise.all([onClusterConfigured(world.deps, event), onClusterConfigured(world.deps, event)]);

    const verified = (await world.store.get(operation.operationId))!;
    expect(verified.step).toBe("verified");
    expect(verified.version).toBe(before.version + 1);
    expect(verified.attempts.verify).toBe(1);
    // The stage counts from the delivery's start, and configure ends there, as when verify claimed a step.
    const verifyStarted = verified.stageTimes.verify!.startedAt;
    expect(Date.parse(verifyStarted)).toBeGreaterThan(Date.parse(startedAt));
    expect(Date.parse(verifyStarted)).toBeLessThan(Date.parse(verified.handoff!.recordedAt));
    expect(verified.stageTimes.configure?.endedAt).toBe(verifyStarted);
    expect(world.publisher.delivered(RestoreVerified)).toHaveLength(1);
    expect(
      world.calls.lines
        .slice(callsBefore)
        .filter((c) => /^(sns|secrets\.(create|put|update)|rds\.(?!describe))/.test(c)),
    ).toEqual([]);
  });
});
