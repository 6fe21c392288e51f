import { existsSync } from "node:fs";
import { deployConfigPath, readDeployConfig } from "./config";
import { APP_NAME } from "./names";

/** The Pulumi AWS provider version SST 4.17.1 installs; pinned so `sst install` is reproducible. */
export const AWS_PROVIDER_VERSION = "7.20.0";

/**
 * `app()` of sst.config.ts. A configured stage deploys only into its own account and region (the provider
 * refuses other credentials) and production stages keep their data on removal. An unconfigured stage
 * (e.g. the CI stage that only generates types) gets the defaults; `run()` then refuses to deploy it.
 */
export function appSettings(stage: string | undefined, env: Record<string, string | undefined>, cwd: string) {
  const base = { name: APP_NAME, home: "aws" as const };
  const path = deployConfigPath(env, cwd);
  const stageConfig = stage && existsSync(path) ? readDeployConfig(path).stages[stage] : undefined;
  if (!stageConfig) {
    return { ...base, removal: "remove" as const, providers: { aws: { version: AWS_PROVIDER_VERSION } } };
  }
  return {
    ...base,
    removal: stageConfig.production ? ("retain" as const) : ("remove" as const),
    protect: stageConfig.production,
    providers: {
      aws: {
        version: AWS_PROVIDER_VERSION,
        region: stageConfig.region,
        allowedAccountIds: [stageConfig.accountId],
      },
    },
  };
}
