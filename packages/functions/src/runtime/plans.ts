import type { Plan } from "@aurora-restore/core/plan/schema";
import { PlanValidationError, validatePlan } from "@aurora-restore/core/plan/validate";
import type { PlanSource } from "@aurora-restore/core/stages/kit/deps";

/** A fixed list of validated plans (from the environment in Lambda, from files locally). */
export function staticPlanSource(plans: readonly Plan[]): PlanSource {
  return {
    async list() {
      return [...plans];
    },
    async get(planId) {
      const plan = plans.find((p) => p.id === planId);
      if (!plan) {
        const known = plans.map((p) => p.id).join(", ") || "none";
        throw new Error(`Unknown plan "${planId}" (known plans: ${known}); deploy the plan or fix the id.`);
      }
      return plan;
    },
  };
}

/** Parses and validates a JSON array of plans, naming the variable (or file) and the plan in every error. */
export function parsePlanList(text: string | undefined, origin: string): Plan[] {
  if (text === undefined || text.trim() === "") {
    throw new Error(`${origin} is not set: give it a JSON array of restore plans (see the plan schema).`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${origin} is not valid JSON (${(error as Error).message}): give a JSON array of plans.`);
  }
  if (!Array.isArray(data)) throw new Error(`${origin} must be a JSON array of plans, not ${typeof data}.`);
  const plans = data.map((plan, i) => validatePlan(plan, `${origin}[${i}]`));
  const ids = plans.map((p) => p.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) {
    throw new PlanValidationError(
      [{ path: "id", message: `plan id ${duplicate} is used twice: plan ids must be unique` }],
      origin,
    );
  }
  return plans;
}
