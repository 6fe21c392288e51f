import { benchPatterns } from "./patterns";
import { benchSnapshot } from "./snapshot";
import { benchStorage } from "./storage";

/**
 * `npm run bench`: throughput figures and ratios for the hot paths of the embedded default.
 * Speed is measured here, never in tests.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const selected = new Set(process.argv.slice(2));
const all = selected.size === 0;
if (all || selected.has("patterns")) await benchPatterns();
if (all || selected.has("storage")) await benchStorage();
if (all || selected.has("snapshot")) benchSnapshot();
