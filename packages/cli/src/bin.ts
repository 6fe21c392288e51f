#!/usr/bin/env node
import { setProcessLabel } from "@aurora-restore/local/state-lock";
import { runCli } from "./cli";
import { askAtTerminal } from "./confirm";
import { escapeForTerminal } from "./io";
import { installStopSignals } from "./stop-signals";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// A closed pipe (`| head`) or a closed terminal (SIGHUP) must not turn into an uncaught error.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
const argv = process.argv.slice(2);
// Named in the state folder's lock, so that a second process can say who holds the folder.
setProcessLabel(["aurora-restore", ...argv].join(" "));
installStopSignals(process.stderr);
const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askAtTerminal } : {}),
};
runCli(argv, io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(escapeForTerminal(`aurora-restore: ${message}\n`));
    process.exitCode = 1;
  },
);
