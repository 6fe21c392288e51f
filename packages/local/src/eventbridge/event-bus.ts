/** One event bus: its rules (pattern + targets) and the PutEvents entry point bound to it. */
import { compilePattern } from "./compile-pattern";
import type { ResolvedTarget, RuleTarget } from "./delivery";
import { busArn, ruleArn } from "./envelope";
import { EventBridgeError } from "./errors";
import { type FlatEvent, matchesPattern } from "./matcher";
import type { CompiledPattern } from "./pattern-types";
import type { PutEventsOptions, PutEventsRequestEntry, PutEventsResponse } from "./put-events";
import { resolveRetryPolicy } from "./retry";

export type RuleState = "ENABLED" | "DISABLED";

export interface PutRuleInput {
  name: string;
  /** An object or its JSON text; validated as AWS validates it (InvalidEventPatternException). */
  eventPattern: unknown;
  state?: RuleState;
  description?: string;
  /** Convenience: targets to put right away (same as a following putTargets). */
  targets?: RuleTarget[];
}

export interface RuleDescription {
  name: string;
  arn: string;
  eventBusName: string;
  eventPattern: string;
  state: RuleState;
  description?: string;
  /** Set for rules EventBridge manages itself (an archive's rule). */
  managedBy?: string;
  targetIds: string[];
}

export interface Rule {
  name: string;
  arn: string;
  eventPattern: string;
  compiled: CompiledPattern;
  state: RuleState;
  description?: string;
  managedBy?: string;
  targets: Map<string, ResolvedTarget>;
}

/** What a bus needs from the service that owns it. */
export interface BusHost {
  putEvents(
    entries: PutEventsRequestEntry[],
    sender: { account: string; region: string },
    options?: PutEventsOptions,
  ): Promise<PutEventsResponse>;
  drain(): Promise<void>;
}

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

export function resolveTarget(target: RuleTarget): ResolvedTarget {
  const spec = typeof target === "string" ? { id: target, arn: target } : target;
  if (!spec.id) throw new EventBridgeError("ValidationException", "Target Id is required.");
  const retryPolicy = resolveRetryPolicy(spec.retryPolicy);
  const deadLetter = spec.deadLetter ?? true;
  if ("arn" in spec) return { kind: "bus", id: spec.id, arn: spec.arn, retryPolicy, deadLetter };
  return {
    kind: "function",
    id: spec.id,
    invoke: (event, context) => spec.invoke(event, context),
    retryPolicy,
    deadLetter,
  };
}

export class EventBus {
  readonly arn: string;
  private readonly rules = new Map<string, Rule>();

  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
    private readonly host: BusHost,
  ) {
    this.arn = busArn(account, region, name);
  }

  /** Creates or updates a rule (PutRule); an invalid pattern throws InvalidEventPatternException. */
  putRule(input: PutRuleInput & { managedBy?: string }): RuleDescription {
    if (!RULE_NAME.test(input.name)) {
      throw new EventBridgeError(
        "ValidationException",
        `Rule name '${input.name}' must match [.\\-_A-Za-z0-9]{1,64}.`,
      );
    }
    const existing = this.rules.get(input.name);
    if (existing?.managedBy && existing.managedBy !== input.managedBy) {
      throw new EventBridgeError(
        "ValidationException",
        `Rule ${input.name} is managed by ${existing.managedBy}.`,
      );
    }
    // A managed rule's pattern is an archive's (already validated) plus the replay-name clause.
    const compiled = compilePattern(
      input.eventPattern,
      input.managedBy ? { maxLength: Number.POSITIVE_INFINITY } : {},
    );
    const eventPattern =
      typeof input.eventPattern === "string" ? input.eventPattern : JSON.stringify(input.eventPattern);
    const rule: Rule = {
      name: input.name,
      arn: ruleArn(this.account, this.region, this.name, input.name),
      eventPattern,
      compiled,
      state: input.state ?? "ENABLED",
      ...(input.description ? { description: input.description } : {}),
      ...(input.managedBy ? { managedBy: input.managedBy } : {}),
      targets: existing?.targets ?? new Map(),
    };
    this.rules.set(input.name, rule);
    if (input.targets) this.putTargets(input.name, input.targets);
    return this.describeRule(input.name);
  }

  putTargets(ruleName: string, targets: RuleTarget[]): void {
    const rule = this.requireRule(ruleName);
    // Resolve all first so one invalid target leaves the rule unchanged.
    const resolved = targets.map(resolveTarget);
    for (const target of resolved) rule.targets.set(target.id, target);
  }

  removeTargets(ruleName: string, ids: string[]): void {
    const rule = this.requireRule(ruleName);
    for (const id of ids) rule.targets.delete(id);
  }

  /** As in AWS, a rule that still has targets cannot be deleted. */
  deleteRule(ruleName: string, options: { force?: boolean } = {}): void {
    const rule = this.requireRule(ruleName);
    if (rule.targets.size > 0 && !options.force) {
      throw new EventBridgeError("ValidationException", "Rule can't be deleted since it has targets.");
    }
    this.rules.delete(ruleName);
  }

  describeRule(ruleName: string): RuleDescription {
    const rule = this.requireRule(ruleName);
    return {
      name: rule.name,
      arn: rule.arn,
      eventBusName: this.name,
      eventPattern: rule.eventPattern,
      state: rule.state,
      ...(rule.description ? { description: rule.description } : {}),
      ...(rule.managedBy ? { managedBy: rule.managedBy } : {}),
      targetIds: [...rule.targets.keys()],
    };
  }

  listRules(): RuleDescription[] {
    return [...this.rules.keys()].map((name) => this.describeRule(name));
  }

  /** Internal: the rule itself (targets included), for delivery and re-drive. */
  findRule(nameOrArn: string): Rule | undefined {
    return this.rules.get(nameOrArn) ?? [...this.rules.values()].find((r) => r.arn === nameOrArn);
  }

  /** Enabled rules whose pattern matches the (already flattened) event. */
  matchingRules(flat: FlatEvent): Rule[] {
    return [...this.rules.values()].filter((r) => r.state === "ENABLED" && matchesPattern(r.compiled, flat));
  }

  /**
   * PutEvents with this bus as the default EventBusName; the sender is this bus's account and region.
   * `options.awsServiceSource` is for local AWS services only (see LocalEventBridge.putEvents).
   */
  putEvents(entries: PutEventsRequestEntry[], options: PutEventsOptions = {}): Promise<PutEventsResponse> {
    return this.host.putEvents(
      Array.isArray(entries)
        ? entries.map((e) => ({ ...e, EventBusName: e?.EventBusName ?? this.arn }))
        : entries,
      { account: this.account, region: this.region },
      options,
    );
  }

  /** Waits until the whole local EventBridge is idle (forwarding may hand work to other buses). */
  drain(): Promise<void> {
    return this.host.drain();
  }

  private requireRule(ruleName: string): Rule {
    const rule = this.rules.get(ruleName);
    if (!rule) {
      throw new EventBridgeError(
        "ResourceNotFoundException",
        `Rule ${ruleName} does not exist on EventBus ${this.name}.`,
      );
    }
    return rule;
  }
}
