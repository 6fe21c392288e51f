export * from "./deps";
export * from "./kit";
