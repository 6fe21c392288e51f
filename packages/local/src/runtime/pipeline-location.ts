import type { AccountRegion } from "@aurora-restore/core/ports/index";

/**
 * Where the pipeline itself runs locally: the staging account, as the cross-account setup in AWS has it. A
 * module of its own so that commands needing only this (where secrets live) do not load the runtime.
 */
export const localPipelineLocation: AccountRegion = { accountId: "222222222222", region: "eu-west-1" };
