export * from "./function-environment";
export * from "./stage-actor";
export * from "./stage-declaration";
export * from "./subscription-plan";
