export * from "./catalog";
export * from "./contract";
export * from "./domain";
export * from "./metadata";
export * from "./names";
export * from "./rds";
export * from "./schema-fields";
export * from "./shapes";
