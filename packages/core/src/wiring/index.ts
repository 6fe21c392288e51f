export * from "./archives";
export * from "./environment-names";
export * from "./stage-actor";
export * from "./stage-declaration";
export * from "./subscription-plan";
