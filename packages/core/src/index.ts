export * from "./events/index";
export * from "./operation/index";
export * from "./plan/index";
export * from "./ports/index";
export * from "./security/secret-names";
export * from "./services/declaration";
export * from "./stages/index";
export * from "./storage/index";
