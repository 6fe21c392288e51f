import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./condition-failure";
import { effectEntity } from "./effect-entity";

/** The outcome of claiming a once-only effect (see effect-entity.ts). */
export type EffectClaim = "acquired" | "in-progress" | "completed";

/** Once-only effects of operations in the state table (part of the operation store). */
export function createEffectStore(client: DynamoDBDocumentClient, table: string) {
  const effects = effectEntity(client, table);
  return {
    /**
     * Claims a once-only effect of an operation (a conditional put, as Powertools' idempotency record):
     * "acquired" to do it now, "in-progress" while another delivery's claim is live, "completed" once done.
     * An in-progress claim whose expiry passed (its owner died) is taken over.
     */
    async claimEffect(
      operationId: string,
      effect: string,
      claim: { holder: string; at: string; expiresAt: number; now: number },
    ): Promise<EffectClaim> {
      const record = {
        operationId,
        effect,
        status: "in-progress" as const,
        holder: claim.holder,
        expiresAt: claim.expiresAt,
        startedAt: claim.at,
      };
      try {
        await effects.create(record).go();
        return "acquired";
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const { data } = await effects.get({ operationId, effect }).go();
      if (!data) return "in-progress"; // Deleted meanwhile: never happens to these records; be cautious.
      if (data.status === "completed") return "completed";
      if (data.expiresAt > claim.now) return "in-progress";
      try {
        await effects
          .patch({ operationId, effect })
          .set({ holder: claim.holder, expiresAt: claim.expiresAt, startedAt: claim.at })
          .where(
            ({ holder, status }, { eq }) => `${eq(holder, data.holder)} AND ${eq(status, "in-progress")}`,
          )
          .go();
        return "acquired";
      } catch (error) {
        if (isConditionFailure(error)) return "in-progress";
        throw error;
      }
    },

    /** Gives up a claimed effect that failed (expires it now), so the next delivery does it. */
    async releaseEffect(operationId: string, effect: string, holder: string): Promise<void> {
      await effects
        .patch({ operationId, effect })
        .set({ expiresAt: 0 })
        .where(({ holder: owner, status }, { eq }) => `${eq(owner, holder)} AND ${eq(status, "in-progress")}`)
        .go()
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    },

    /** The once-only effects claimed for the operation so far, and where each stands. */
    async effectsOf(
      operationId: string,
    ): Promise<{ effect: string; status: "in-progress" | "completed"; holder: string; expiresAt: number }[]> {
      const { data } = await effects.query.byOperation({ operationId }).go({ pages: "all" });
      return data.map(({ effect, status, holder, expiresAt }) => ({ effect, status, holder, expiresAt }));
    },

    /** Marks a claimed effect done, so later deliveries skip it. */
    async completeEffect(operationId: string, effect: string, holder: string, at: string): Promise<void> {
      await effects
        .patch({ operationId, effect })
        .set({ status: "completed", completedAt: at })
        .where(({ holder: owner }, { eq }) => eq(owner, holder))
        .go()
        .catch((error: unknown) => {
          // Taken over after our claim expired: the new owner completes it.
          if (!isConditionFailure(error)) throw error;
        });
    },
  };
}
