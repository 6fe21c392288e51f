import { type Command, escapeControl, UsageError } from "../io";
import { textTable } from "../table";
import { jsonOption, stateDirOption } from "./common-options";
import { existingStateDir } from "./state-dir-option";

const place = (c: { clusterIdentifier: string; accountId: string; region: string }) =>
  `${c.clusterIdentifier} (${c.accountId}, ${c.region})`;

export const plansListCommand: Command = {
  path: ["plans", "list"],
  summary: "List the plans the local runtime runs: source, targets, trigger",
  options: [jsonOption, stateDirOption],
  details:
    "A plan is registered by 'restore --plan <file>' and by the demo; it stays until 'plans remove'.\n" +
    "Locally a snapshot of its source (or its schedule) refreshes its targets while a runtime runs.",
  examples: ["aurora-restore plans list", "aurora-restore plans list --json"],
  async run(parsed, io) {
    const { PlanRegistry } = await import("@aurora-restore/local/runtime/plan-registry");
    const { triggerText } = await import("@aurora-restore/local/runtime/plan-coverage");
    const stateDir = await existingStateDir(parsed);
    const plans = await new PlanRegistry(stateDir).list();
    if (parsed.flags.has("json")) {
      const listed = plans.map((plan) => ({
        id: plan.id,
        ...(plan.description ? { description: plan.description } : {}),
        source: {
          clusterIdentifier: plan.source.clusterIdentifier,
          accountId: plan.source.accountId,
          region: plan.source.region,
        },
        targets: plan.targets.map((t) => ({
          clusterIdentifier: t.clusterIdentifier,
          accountId: t.accountId,
          region: t.region,
        })),
        trigger: plan.trigger,
        schedule: triggerText(plan),
      }));
      io.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
      return 0;
    }
    if (plans.length === 0) {
      io.stdout.write(
        `No plans in ${escapeControl(stateDir)}. 'aurora-restore restore --plan <file> ...' or 'npm start' registers one.\n`,
      );
      return 0;
    }
    io.stdout.write(
      textTable(
        ["PLAN", "SOURCE", "TARGETS", "SCHEDULE"],
        plans.map((plan) => [
          plan.id,
          place(plan.source),
          plan.targets.map(place).join(", "),
          triggerText(plan),
        ]),
      ),
    );
    return 0;
  },
};

export const plansRemoveCommand: Command = {
  path: ["plans", "remove"],
  summary: "Remove a registered plan: its source's snapshots no longer refresh its targets",
  operands: "<planId>",
  options: [stateDirOption],
  details:
    "Takes effect at once, in a running 'local up' too. Operations already started go on; clusters are\n" +
    "left as they are.",
  examples: ["aurora-restore plans remove local-demo"],
  async run(parsed, io) {
    const { planId } = await import("@aurora-restore/core/events/identifiers");
    const { PlanRegistry } = await import("@aurora-restore/local/runtime/plan-registry");
    const { planSentence } = await import("@aurora-restore/local/runtime/plan-coverage");
    const [id, extra] = parsed.positionals;
    if (!id || extra) throw new UsageError("give exactly one plan id (see 'aurora-restore plans list')");
    if (!planId.safeParse(id).success) {
      throw new UsageError(
        `'${escapeControl(id)}' is not a plan id: lower-case letters, digits and hyphens (see 'aurora-restore plans list')`,
      );
    }
    const stateDir = await existingStateDir(parsed);
    const registry = new PlanRegistry(stateDir);
    const plans = await registry.list();
    const plan = plans.find((p) => p.id === id);
    if (!plan) {
      const known = plans.map((p) => p.id).join(", ") || "none";
      throw new UsageError(
        `no plan ${escapeControl(id)} in ${escapeControl(stateDir)} (known: ${escapeControl(known)})`,
      );
    }
    await registry.remove(id);
    io.stdout.write(
      `${escapeControl(`Removed plan ${plan.id}: ${planSentence(plan, "no longer refreshes")}`)}\n`,
    );
    return 0;
  },
};
