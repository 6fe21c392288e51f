export * from "./deps";
export * from "./kit";
export * from "./metrics";
