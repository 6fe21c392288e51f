/// <reference path="./.sst/platform/config.d.ts" />

// Deploys one stage of deploy/aurora-restore.json (see README, "Deploy to AWS"): a target stage (the
// pipeline) or a source stage (the source account's forwarding rule and access role).
export default $config({
  async app(input) {
    const { appSettings } = await import("./stacks/app-settings");
    return appSettings(input?.stage, process.env, process.cwd());
  },
  async run() {
    const { loadStage } = await import("./stacks/config");
    const stage = loadStage($app.stage, process.env, process.cwd());
    if (stage.kind === "source") {
      const { sourceStage } = await import("./stacks/source-stage");
      return sourceStage(stage);
    }
    const { targetStage } = await import("./stacks/target-stage");
    return targetStage(stage);
  },
});
