export * from "./eventbridge/index";
export * from "./kms/local-kms";
export type { RdsEventEntry } from "./rds/events";
export { LocalRds, type LocalRdsOptions } from "./rds/local-rds";
export type { DurationKind, Durations } from "./rds/transitions";
export * from "./secrets/local-secrets";
export * from "./sns/local-sns";
export * from "./state-dir";
