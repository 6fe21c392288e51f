/// <reference path="./.sst/platform/config.d.ts" />

// Deploys the deployment that `--stage` names in deploy/aurora-restore.json (see README, "Deploy to AWS"):
// a target deployment (the pipeline) or a source deployment (the source account's forwarding rule and
// access role).
export default $config({
  async app(input) {
    const { appSettings } = await import("./stacks/app-settings");
    return appSettings(input?.stage, process.env, process.cwd());
  },
  async run() {
    const { loadDeployment } = await import("./stacks/config");
    const deployment = loadDeployment($app.stage, process.env, process.cwd());
    if (deployment.kind === "source") {
      const { sourceDeployment } = await import("./stacks/source-deployment");
      return sourceDeployment(deployment);
    }
    const { targetDeployment } = await import("./stacks/target-deployment");
    return targetDeployment(deployment);
  },
});
