export * from "./ids";
export * from "./steps";
