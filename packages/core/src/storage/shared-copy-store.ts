import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./condition-failure";
import { type SharedCopyItem, sharedCopyEntity } from "./shared-copy-entity";

/** One generation of a shared copy: what an operation records that it uses. */
export interface SharedCopyRef {
  copyKey: string;
  lane: number;
  generation: number;
}

/** Who joins: the run key, and the account the copy is shared with for it (when shared at all). */
export interface SharedCopyUser {
  user: string;
  account?: string;
  /** The most accounts one copy may be shared with (RDS: 20). */
  maxAccounts?: number;
  /** The role that reaches the copy's account (the source's), kept for whoever deletes the copy. */
  roleArn?: string;
}

/** How the generation before a renewed one was read: recorded retired, or left by its last user (no `users`). */
export type RetiredGeneration = Pick<SharedCopyItem, "state" | "keep">;

/** A generation is retired once recorded so, or once its last user left (`users` is gone). */
export function isRetired(item: Pick<SharedCopyItem, "state" | "users">): boolean {
  return item.state === "retiring" || !item.users?.length;
}

/** How a retired generation reads, for a write conditional on it (renewSharedCopy). */
export function retiredGenerationOf(item: Pick<SharedCopyItem, "state" | "keep">): RetiredGeneration {
  return { state: item.state, ...(item.keep ? { keep: true } : {}) };
}

/** The conditional writes of shared copies (see shared-copy-entity.ts); each returns undefined when refused. */
export function createSharedCopyStore(client: DynamoDBDocumentClient, table: string) {
  const copies = sharedCopyEntity(client, table);
  const refusedIsUndefined = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await write();
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };
  const item = (data: unknown) => data as SharedCopyItem;
  type Patch = ReturnType<ReturnType<typeof copies.patch>["set"]>;
  /**
   * Conditions a write of generation `ref.generation` on the previous one being retired as it was read;
   * one left by its last user but not recorded hands its copy (unless kept) on to `deleting`.
   */
  const after = (patch: Patch, ref: SharedCopyRef, previous: RetiredGeneration, previousCopy: string) => {
    const unrecorded = previous.state === "active";
    const carried = unrecorded && !previous.keep ? patch.add({ deleting: [previousCopy] }) : patch;
    return carried.where(({ generation, state, users, keep }, { eq, notExists }) => {
      const base = eq(generation, ref.generation - 1);
      if (!unrecorded) return `${base} AND ${eq(state, "retiring")}`;
      const kept = previous.keep ? eq(keep, true) : notExists(keep);
      return `${base} AND ${eq(state, "active")} AND ${notExists(users)} AND ${kept}`;
    });
  };

  return {
    async sharedCopy(copyKey: string, lane: number): Promise<SharedCopyItem | undefined> {
      const { data } = await copies.get({ copyKey, lane }).go();
      return data ?? undefined;
    },

    /** The first generation of a lane, with its first user (refused when the lane exists). */
    async startSharedCopy(
      input: { copyKey: string; lane: number; accountId: string; region: string; roleArn?: string },
      joiner: SharedCopyUser,
    ): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const created = {
          ...input,
          generation: 1,
          state: "active" as const,
          users: [joiner.user],
          ...(joiner.account ? { accounts: [joiner.account] } : {}),
        };
        const { data } = await copies.create(created).go();
        return item(data);
      });
    },

    /**
     * Joins the active generation, unless this user left it, its last user left (it is retired: `users` is
     * gone) or the copy is shared with enough accounts.
     */
    async joinSharedCopy(ref: SharedCopyRef, joiner: SharedCopyUser): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const { data } = await copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .add({ users: [joiner.user], ...(joiner.account ? { accounts: [joiner.account] } : {}) })
          .where(
            (
              { generation, state, users, left, accounts, lane },
              { eq, exists, notContains, notExists, contains, size, value },
            ) => {
              const base = `${eq(generation, ref.generation)} AND ${eq(state, "active")} AND ${exists(users)} AND (${notExists(left)} OR ${notContains(left, joiner.user)})`;
              if (!joiner.account || joiner.maxAccounts === undefined) return base;
              // value() formats by the attribute it names: a number attribute's, for the count.
              const room = `${notExists(accounts)} OR ${contains(accounts, joiner.account)} OR ${size(accounts)} < ${value(lane, joiner.maxAccounts)}`;
              return `${base} AND (${room})`;
            },
          )
          .go({ response: "all_new" });
        return item(data);
      });
    },

    /**
     * Starts generation `ref.generation` on a lane whose previous generation is retired, as `previous` was
     * read. Left by its last user but not recorded yet (its copy may still be deleting), the previous copy
     * (`previousCopy`, unless kept) is added to `deleting` in the same write: whoever leaves this lane next
     * deletes it if its own last user could not (see releaseSharedCopy).
     */
    async renewSharedCopy(
      ref: SharedCopyRef,
      joiner: SharedCopyUser,
      previous: RetiredGeneration,
      previousCopy: string,
    ): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const renewed = copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .set({
            generation: ref.generation,
            state: "active",
            users: [joiner.user],
            ...(joiner.account ? { accounts: [joiner.account] } : {}),
            ...(joiner.roleArn ? { roleArn: joiner.roleArn } : {}),
          })
          .remove(
            joiner.account
              ? ["left", "keep", "startedGeneration"]
              : ["left", "keep", "startedGeneration", "accounts"],
          );
        const { data } = await after(renewed, ref, previous, previousCopy).go({ response: "all_new" });
        return item(data);
      });
    },

    /** Records that this generation's copy was requested, so later users need not request it again. */
    async markCopyStarted(ref: SharedCopyRef): Promise<void> {
      await refusedIsUndefined(() =>
        copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .set({ startedGeneration: ref.generation })
          .where(({ generation }, { eq }) => eq(generation, ref.generation))
          .go(),
      );
    },

    /**
     * The user leaves the generation for good: out of `users`, into `left`, whether it had joined or not
     * (a delivery that claimed the step but had not joined yet, and comes back after the operation ended,
     * must find itself in `left`). The last user's leave retires the generation in the same write: with
     * `users` gone nobody can join it again (joinSharedCopy), and the next operation renews the lane.
     * Undefined when the lane is not at this generation (see startRetiredSharedCopy).
     */
    async leaveSharedCopy(
      ref: SharedCopyRef,
      user: string,
      keep: boolean,
    ): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const patch = copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .delete({ users: [user] })
          .add({ left: [user] });
        const { data } = await (keep ? patch.set({ keep: true }) : patch)
          .where(({ generation }, { eq }) => eq(generation, ref.generation))
          .go({ response: "all_new" });
        return item(data);
      });
    },

    /**
     * A generation that was never started (the lane does not exist, or its previous generation is retired,
     * as `previous` was read) is started retired, with the leaving user already in `left`, so a delivery
     * that comes back later cannot start or join it. Its copy was never requested (that needs a start):
     * nothing to delete but the previous generation's, as renewSharedCopy does.
     */
    async startRetiredSharedCopy(
      ref: SharedCopyRef,
      user: string,
      where: { accountId: string; region: string },
      previous?: { generation: RetiredGeneration; copy: string },
    ): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        if (!previous) {
          const created = { copyKey: ref.copyKey, lane: ref.lane, ...where, generation: ref.generation };
          const { data } = await copies.create({ ...created, state: "retiring", left: [user] }).go();
          return item(data);
        }
        const retired = copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .set({ generation: ref.generation, state: "retiring", left: [user] })
          .remove(["keep", "startedGeneration", "accounts"]);
        const { data } = await after(retired, ref, previous.generation, previous.copy).go({
          response: "all_new",
        });
        return item(data);
      });
    },

    /**
     * Records that the generation its last user left is done with: its copy deleted (or kept), or, when it
     * could not be deleted, `pending` in `deleting` for a later cleanup. Refused when the lane moved on
     * (a renewal then carried the copy into `deleting`) or another run recorded it first.
     */
    async retireSharedCopy(current: SharedCopyItem, pending?: string): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const patch = copies
          .patch({ copyKey: current.copyKey, lane: current.lane })
          .set({ state: "retiring" });
        const { data } = await (pending ? patch.add({ deleting: [pending] }) : patch)
          .where(
            ({ generation, state, users }, { eq, notExists }) =>
              `${eq(generation, current.generation)} AND ${eq(state, "active")} AND ${notExists(users)}`,
          )
          .go({ response: "all_new" });
        return item(data);
      });
    },

    /** A retired copy is deleted (or was already gone): nothing is left to do for it. */
    async forgetDeletion(copyKey: string, lane: number, identifier: string): Promise<void> {
      await copies
        .patch({ copyKey, lane })
        .delete({ deleting: [identifier] })
        .go();
    },
  };
}

export type { SharedCopyItem };
