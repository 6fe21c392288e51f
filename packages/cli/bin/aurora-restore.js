#!/usr/bin/env node
// The `aurora-restore` command: the CLI is TypeScript, run through tsx's loader, registered here so that
// the command works from any folder without a build step or an `npm run` wrapper.
import { register } from "tsx/esm/api";

register();
await import("../src/bin.ts");
