export * from "./deps";
export * from "./kit";
export * from "./lease";
export * from "./metrics";
