import { readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { planId } from "@aurora-restore/core/events/identifiers";
import { type Plan, parsePlanJson, validatePlan } from "@aurora-restore/core/plan/index";
import type { PlanSource } from "@aurora-restore/core/stages/kit";
import { ensurePrivateDir, writeJsonFileAtomic } from "../state-dir";

/**
 * The plans the local runtime runs, one validated JSON file per plan under `<stateDir>/plans/` (in AWS the
 * plans ship with the deployment). Registering a plan again replaces it.
 */
export class PlanRegistry implements PlanSource {
  readonly directory: string;

  constructor(stateDir: string) {
    this.directory = join(stateDir, "plans");
  }

  async register(input: unknown, origin = "the plan"): Promise<Plan> {
    const plan = validatePlan(input, origin);
    await ensurePrivateDir(this.directory);
    await writeJsonFileAtomic(this.#file(plan.id), plan);
    return plan;
  }

  async list(): Promise<Plan[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const files = names.filter((n) => n.endsWith(".json")).sort();
    return Promise.all(files.map((name) => this.#read(join(this.directory, name))));
  }

  async get(planId: string): Promise<Plan> {
    try {
      return await this.#read(this.#file(planId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      const known = (await this.list()).map((p) => p.id);
      throw new Error(
        `Unknown plan '${planId}' (known: ${known.join(", ") || "none"}); register it with 'aurora-restore restore --plan <file>' or run 'npm start'`,
      );
    }
  }

  /** Forgets a plan: future snapshots of its source start nothing for it. Returns whether it was there. */
  async remove(planId: string): Promise<boolean> {
    try {
      await unlink(this.#file(planId));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  #file(id: string): string {
    // The id names a file: anything but a plan id (a path, say) is refused before it reaches the file system.
    const checked = planId.safeParse(id);
    if (!checked.success) throw new Error(`'${id}' is not a plan id: ${checked.error.issues[0]?.message}`);
    return join(this.directory, `${id}.json`);
  }

  async #read(file: string): Promise<Plan> {
    return parsePlanJson(await readFile(file, "utf8"), file);
  }
}
