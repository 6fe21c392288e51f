import { arnAccount } from "@aurora-restore/core/events/arn";
import type { AccessScope } from "@aurora-restore/core/ports/index";
import { AwsCallError } from "@aurora-restore/core/ports/index";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { AssumeRoleCommandOutput, STSClient } from "@aws-sdk/client-sts";
import { normaliseErrorCode } from "./errors";

/** Temporary or long-lived AWS credentials, shaped as the SDK's identity providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialProvider = () => Promise<AwsCredentials>;

export interface AwsClientOptions {
  /** Attempts per call including the first; the SDK's adaptive mode spaces them and rate-limits on throttling. */
  maxAttempts?: number;
  /** The pipeline's own identity; the SDK's default provider chain when omitted. */
  credentials?: CredentialProvider;
  /** Session name recorded in CloudTrail for assumed roles. */
  roleSessionName?: string;
  /** Assumed-role session length; STS caps it at the role's maximum. */
  roleDurationSeconds?: number;
  /** Clock for credential expiry (injectable so tests need no real time). */
  now?: () => Date;
}

export interface AwsClients {
  rds(scope: AccessScope): RDSClient;
  kms(scope: AccessScope): KMSClient;
  secretsManager(scope: AccessScope): SecretsManagerClient;
  sns(scope: AccessScope): SNSClient;
  eventBridge(scope: AccessScope): EventBridgeClient;
}

const defaultMaxAttempts = 5;
const defaultSessionName = "aurora-restore";
/** Refresh assumed-role credentials this long before they expire, so no call is signed with stale ones. */
const refreshMarginMs = 5 * 60_000;

/** What every SDK client the pipeline builds is configured with. */
export interface ClientConfig {
  region: string;
  retryMode: "adaptive";
  maxAttempts: number;
  credentials?: CredentialProvider;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

/**
 * Each HTTP attempt's limits: the SDK waits for an answer without end by default, which a Lambda function
 * would only end at its own timeout. With maxAttempts and the adaptive backoff, one call stays well inside
 * the margin the functions keep for their AWS calls (functions/src/shared/deploy/function-settings.ts).
 */
export const AWS_REQUEST_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

/**
 * The SDK clients of one function or process: built lazily and once per service, account, region and role
 * (nothing is read or constructed until a port makes its first call), with the assumed-role credentials
 * shared by all clients of a scope. It imports no service's client: each adapter module brings its own
 * (`rdsClients` in aws-rds.ts, ...), so a bundle holds only the SDK clients of the adapters it uses.
 */
export interface ClientPool {
  client<C>(service: string, scope: AccessScope, build: (config: ClientConfig) => C): C;
}

export function createClientPool(options: AwsClientOptions = {}): ClientPool {
  const clients = new Map<string, unknown>();
  const roleProviders = new Map<string, CredentialProvider>();
  const maxAttempts = options.maxAttempts ?? defaultMaxAttempts;

  const credentialsFor = (scope: AccessScope): CredentialProvider | undefined => {
    if (!scope.roleArn) return options.credentials;
    const roleAccount = arnAccount(scope.roleArn);
    if (roleAccount !== scope.accountId) {
      throw new Error(
        `Role ${scope.roleArn} is not in account ${scope.accountId}: RDS, KMS and Secrets Manager act on the ` +
          "account of the credentials, so the scope's roleArn must be a role in that same account.",
      );
    }
    const key = `${scope.roleArn}|${scope.region}`;
    let provider = roleProviders.get(key);
    if (!provider) {
      provider = createAssumeRoleProvider({
        roleArn: scope.roleArn,
        region: scope.region,
        sessionName: options.roleSessionName ?? defaultSessionName,
        durationSeconds: options.roleDurationSeconds,
        baseCredentials: options.credentials,
        maxAttempts,
        now: options.now,
      });
      roleProviders.set(key, provider);
    }
    return provider;
  };

  return {
    client<C>(service: string, scope: AccessScope, build: (config: ClientConfig) => C): C {
      const key = `${service}|${scope.accountId}|${scope.region}|${scope.roleArn ?? ""}`;
      const existing = clients.get(key);
      if (existing) return existing as C;
      const credentials = credentialsFor(scope);
      const client = build({
        region: scope.region,
        retryMode: "adaptive",
        maxAttempts,
        ...(credentials ? { credentials } : {}),
        requestHandler: { ...AWS_REQUEST_TIMEOUTS },
      });
      clients.set(key, client);
      return client;
    },
  };
}

export interface AssumeRoleProviderOptions {
  roleArn: string;
  region: string;
  sessionName: string;
  durationSeconds?: number;
  externalId?: string;
  baseCredentials?: CredentialProvider;
  maxAttempts?: number;
  now?: () => Date;
}

/**
 * Credentials of an assumed role, cached until shortly before they expire. Concurrent callers share one
 * AssumeRole call. Failures are AwsCallError (service "sts") naming the role and what to check. The STS
 * client is imported on the first AssumeRole: in a Lambda bundle it is then a chunk of its own
 * (code splitting), which the functions that act in their own account only never load.
 */
export function createAssumeRoleProvider(options: AssumeRoleProviderOptions): CredentialProvider {
  const now = options.now ?? (() => new Date());
  let sts: STSClient | undefined;
  let cached: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;

  const assume = async (): Promise<AwsCredentials> => {
    const { AssumeRoleCommand, STSClient } = await import("@aws-sdk/client-sts");
    sts ??= new STSClient({
      region: options.region,
      retryMode: "adaptive",
      maxAttempts: options.maxAttempts ?? defaultMaxAttempts,
      ...(options.baseCredentials ? { credentials: options.baseCredentials } : {}),
    });
    let response: AssumeRoleCommandOutput;
    try {
      response = await sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: options.durationSeconds,
          ExternalId: options.externalId,
        }),
      );
    } catch (error) {
      const code = normaliseErrorCode(error, "sts");
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const hint =
        code === "AccessDenied"
          ? "; check that the role's trust policy allows the pipeline's role and that the pipeline's role may " +
            "call sts:AssumeRole on it"
          : "";
      throw new AwsCallError(code, `AssumeRole ${options.roleArn} failed: ${detail}${hint}`, "sts", {
        cause: error,
      });
    }
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = response.Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey) {
      throw new AwsCallError("UnknownError", `AssumeRole ${options.roleArn} returned no credentials.`, "sts");
    }
    return {
      accessKeyId: AccessKeyId,
      secretAccessKey: SecretAccessKey,
      ...(SessionToken ? { sessionToken: SessionToken } : {}),
      ...(Expiration ? { expiration: Expiration } : {}),
    };
  };

  const fresh = (credentials: AwsCredentials): boolean =>
    !credentials.expiration || credentials.expiration.getTime() - refreshMarginMs > now().getTime();

  return async () => {
    if (cached && fresh(cached)) return cached;
    pending ??= assume()
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/**
 * Options every adapter factory takes: the clients to use (tests pass their own), or a pool shared with the
 * function's other adapters, or else options to build a pool of its own.
 */
export interface AwsAdapterOptions<K extends keyof AwsClients = keyof AwsClients> extends AwsClientOptions {
  clients?: Pick<AwsClients, K>;
  pool?: ClientPool;
}

/** The pool an adapter builds its clients from when it is not given them. */
export function poolFrom(options: AwsAdapterOptions<never>): ClientPool {
  return options.pool ?? createClientPool(options);
}
