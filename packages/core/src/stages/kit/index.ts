/** The moves every stage shares: claim a step, advance, audit, hand off, fail; leases, watches, credentials. */
export * from "./advance";
export * from "./audit";
export * from "./claim";
export * from "./cluster-swap";
export * from "./credentials";
export * from "./deps";
export * from "./errors";
export * from "./fail";
export * from "./handoff";
export * from "./lease";
export * from "./metrics";
export * from "./publish";
export * from "./republish-handoffs";
export * from "./resume-at-start";
export * from "./snapshot-refs";
export * from "./start-operation";
export * from "./watches";
