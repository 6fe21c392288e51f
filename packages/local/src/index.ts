export * from "./eventbridge/index";
export * from "./kms/local-kms";
export * from "./secrets/local-secrets";
export * from "./sns/local-sns";
export * from "./state-dir";
