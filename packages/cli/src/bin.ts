#!/usr/bin/env node
import { runCli } from "./cli";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`aurora-restore: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
