import { readFileSync } from "node:fs";
import { Command as Commander, CommanderError, InvalidArgumentError, Option } from "commander";
import type { ParsedArgs } from "./commands/option-values";
import type { CliIo, Command, CommandOption } from "./io";

export const programName = "aurora-restore";

/** The version `--version` prints: the CLI package's own. */
export const version: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export const exitStatusHelp = [
  "Exit status:",
  "  0    done",
  "  1    the operation failed, an AWS call failed (the message names the fix), or the state folder is",
  "       in use by another process (its pid and command are named)",
  "  2    bad usage: unknown command or option, missing or invalid value, invalid plan, missing",
  "       --state-dir folder...",
  "  130  interrupted (Ctrl-C); 143 on SIGTERM and 129 on SIGHUP (a closed terminal): 128 + the",
  "       signal's number, after stopping every local server",
].join("\n");

/** Everything commander reports as wrong usage (unknown option, missing argument...) exits with this. */
export const usageExitCode = 2;

/**
 * The options and operands commander parsed, by long option name (see ParsedArgs). A negated flag
 * (`--no-wait`) is present when given: commander keeps it as `wait`, true unless `--no-wait` was typed.
 */
function parsedArgs(command: Commander): ParsedArgs {
  const flags = new Map<string, string | true>();
  for (const option of command.options) {
    const value = command.getOptionValue(option.attributeName()) as string | boolean | undefined;
    if (!option.long) continue;
    if (option.negate) {
      if (value === false) flags.set(option.long.slice(2), true);
    } else if (typeof value === "string" || value === true) flags.set(option.long.slice(2), value);
  }
  return { positionals: [...command.args], flags };
}

function examplesHelp(command: Command): string {
  const details = command.details ? `\n${command.details}\n` : "";
  const examples = command.examples.map((e) => `  $ ${e}`).join("\n");
  return `${details}\nExamples:\n${examples}\n\n${exitStatusHelp}\n`;
}

/** The root's help: every command by its full name (commander would list only the first words). */
function rootHelp(commands: readonly Command[]): string {
  const names = commands.map((c) => [c.path, c.operands].filter(Boolean).join(" ").replaceAll(",", " "));
  const width = Math.max(...names.map((n) => n.length));
  const lines = commands.map((c, i) => `  ${names[i]!.padEnd(width)}  ${c.summary}`);
  return [
    `Usage: ${programName} <command> [options]`,
    "",
    "Refreshes non-production Aurora PostgreSQL clusters from production snapshots: locally, on embedded",
    "servers, or on a stage deployed with SST (--stage <name>). Progress goes to stderr, results to stdout.",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -V, --version  print the version",
    "  -h, --help     print this help; '<command> --help' prints a command's options and examples",
    "",
    "Examples:",
    `  $ ${programName} demo --exit`,
    `  $ ${programName} operations list --status failed`,
    `  $ ${programName} operations list --stage production --region eu-west-1`,
    `  $ ${programName} plan validate examples/plans/local-demo.json`,
    "",
    exitStatusHelp,
    "",
  ].join("\n");
}

function commanderOption(spec: CommandOption): Option {
  const option = new Option(spec.flags, spec.description);
  if (!spec.once) return option;
  return option.argParser((value: string, previous: unknown) => {
    if (previous !== undefined) throw new InvalidArgumentError("The option is given twice; give it once.");
    return value;
  });
}

/** One command's help and error settings; commander does not pass them on to commands added later. */
function configure(command: Commander, io: CliIo): Commander {
  return command
    .exitOverride()
    .helpOption("-h, --help", "print this help")
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(usageErrorText(command, text)),
    });
}

/**
 * commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line naming the command, with the
 * known options when there is no suggestion, then where to read more.
 */
function usageErrorText(command: Commander, text: string): string {
  const name = commandName(command);
  let message = text
    .trim()
    .replace(/^error: /, "")
    .replace(/\n\(Did you mean (.*)\?\)$/, " (did you mean $1?)");
  if (message.startsWith("unknown option") && !message.includes("did you mean")) {
    const known = command.options.map((o) => o.long).filter((long) => long && long !== "--help");
    if (known.length > 0) message += ` (known: ${known.join(", ")})`;
  }
  return `${name}: ${message}\nRun '${name} --help' for its options and examples.\n`;
}

function commandName(command: Commander): string {
  const words: string[] = [];
  for (let c: Commander | null = command; c; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}

/**
 * The commander program for `commands`: a command per path (`local dlq list` nests under `local` and `dlq`),
 * each with its options, examples and the exit statuses in its --help. `run` gets the code the command
 * returned.
 */
export function buildProgram(
  commands: readonly Command[],
  io: CliIo,
  run: (command: Command, args: ParsedArgs) => Promise<void>,
): Commander {
  const root = configure(new Commander(programName), io)
    .version(version, "-V, --version", "print the version")
    .configureHelp({ formatHelp: () => rootHelp(commands) });
  for (const command of commands) {
    let parent = root;
    command.path.slice(0, -1).forEach((word, depth) => {
      let group = parent.commands.find((c) => c.name() === word);
      if (!group) {
        const prefix = command.path.slice(0, depth + 1).join(" ");
        const below = commands.filter((c) => c.path.join(" ").startsWith(`${prefix} `));
        group = configure(new Commander(word), io)
          .summary(below.map((c) => c.path.slice(depth + 1).join(" ")).join(", "))
          .addHelpText(
            "after",
            `\nExamples:\n${below.map((c) => `  $ ${c.examples[0]}`).join("\n")}\n\n${exitStatusHelp}\n`,
          );
        parent.addCommand(group);
      }
      parent = group;
    });
    const leaf = configure(new Commander(command.path.at(-1)!), io)
      .summary(command.summary)
      .description(command.summary);
    if (command.operands) leaf.arguments(command.operands);
    for (const option of command.options) leaf.addOption(commanderOption(option));
    leaf.addHelpText("after", examplesHelp(command));
    leaf.action(async (...args: unknown[]) => run(command, parsedArgs(args.at(-1) as Commander)));
    parent.addCommand(leaf);
  }
  return root;
}

/** The exit status for commander's own ends: help and version 0, anything else wrong usage. */
export function commanderExitCode(error: CommanderError): number {
  return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : usageExitCode;
}

export { CommanderError };
