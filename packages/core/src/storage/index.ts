export * from "./audit";
export * from "./audit-entity";
export * from "./client";
export * from "./operations";
export * from "./tables";
export * from "./watch-entity";
