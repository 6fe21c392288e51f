export * from "./database";
export * from "./errors";
export * from "./events";
export * from "./kms";
export * from "./location";
export * from "./notifications";
export * from "./rds";
export * from "./secrets";
