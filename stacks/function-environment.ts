// Pure deployment code lives in the functions package, where the CLI (aurora-restore deploy policies |
// validate) and the tests reach it too; the stacks import it from here.
export * from "@aurora-restore/functions/shared/deploy/function-environment";
