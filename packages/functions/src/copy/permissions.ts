import type { PermissionContext, PolicyStatement } from "@aurora-restore/core";

// Placeholder until the stacks issue declares this stage's least-privilege statements.
export function permissions(_context: PermissionContext): PolicyStatement[] {
  return [];
}
