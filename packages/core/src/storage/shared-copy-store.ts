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

    /** Joins the active generation, unless this user left it or the copy is shared with enough accounts. */
    async joinSharedCopy(ref: SharedCopyRef, joiner: SharedCopyUser): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const { data } = await copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .add({ users: [joiner.user], ...(joiner.account ? { accounts: [joiner.account] } : {}) })
          .where(
            (
              { generation, state, left, accounts, lane },
              { eq, notContains, notExists, contains, size, value },
            ) => {
              const base = `${eq(generation, ref.generation)} AND ${eq(state, "active")} AND (${notExists(left)} OR ${notContains(left, joiner.user)})`;
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

    /** Starts generation `ref.generation` on a lane whose previous generation is retiring. */
    async renewSharedCopy(ref: SharedCopyRef, joiner: SharedCopyUser): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const { data } = await copies
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
          )
          .where(
            ({ generation, state }, { eq }) =>
              `${eq(generation, ref.generation - 1)} AND ${eq(state, "retiring")}`,
          )
          .go({ response: "all_new" });
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
     * must find itself in `left`). A generation not started yet (a lane that does not exist, or one whose
     * previous generation is retiring) is started retired with the user in `left`, for the same reason.
     * Undefined when the lane is past the generation (nothing to leave: it can never be joined again).
     */
    async leaveSharedCopy(
      ref: SharedCopyRef,
      user: string,
      keep: boolean,
      where: { accountId: string; region: string },
    ): Promise<SharedCopyItem | undefined> {
      const leave = () =>
        refusedIsUndefined(async () => {
          const patch = copies
            .patch({ copyKey: ref.copyKey, lane: ref.lane })
            .delete({ users: [user] })
            .add({ left: [user] });
          const { data } = await (keep ? patch.set({ keep: true }) : patch)
            .where(({ generation }, { eq }) => eq(generation, ref.generation))
            .go({ response: "all_new" });
          return item(data);
        });
      const left = await leave();
      if (left) return left;
      // The generation was never started (or renewed): start it retired, with this run already gone.
      const tombstone = await refusedIsUndefined(async () => {
        if (ref.generation === 1) {
          const created = { copyKey: ref.copyKey, lane: ref.lane, ...where, generation: 1 };
          const { data } = await copies.create({ ...created, state: "retiring", left: [user] }).go();
          return item(data);
        }
        const { data } = await copies
          .patch({ copyKey: ref.copyKey, lane: ref.lane })
          .set({ generation: ref.generation, left: [user] })
          .remove(["keep", "startedGeneration", "accounts"])
          .where(
            ({ generation, state }, { eq }) =>
              `${eq(generation, ref.generation - 1)} AND ${eq(state, "retiring")}`,
          )
          .go({ response: "all_new" });
        return item(data);
      });
      return tombstone ?? leave();
    },

    /**
     * Retires the active generation once nobody uses it, in one write with its copy's name added to
     * `deleting` (unless kept): whoever retires it, or any later cleanup on the item, deletes it.
     */
    async retireSharedCopy(current: SharedCopyItem, identifier: string): Promise<SharedCopyItem | undefined> {
      return refusedIsUndefined(async () => {
        const patch = copies
          .patch({ copyKey: current.copyKey, lane: current.lane })
          .set({ state: "retiring" });
        const { data } = await (current.keep ? patch : patch.add({ deleting: [identifier] }))
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
