// Shared by every stage test: in-process dynalite plus fresh tables (see dynamo.ts).
export { createTables, type DynamoBackend, startDynalite } from "./dynamo";
