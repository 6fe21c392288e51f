export * from "./audit";
export * from "./audit-entity";
export * from "./client";
export type { EffectClaim } from "./effect-store";
export { TargetBusyError } from "./lock-store";
export * from "./operations";
export * from "./pending-watch";
export * from "./tables";
export * from "./watch-entity";
