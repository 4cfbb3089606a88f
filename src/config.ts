// The twin's one typed configuration; each option is documented where its default is.
import type { Clock } from "./core/clock.ts";
import { systemClock } from "./core/clock.ts";
import type { IdGenerator } from "./core/ids.ts";
import { randomIds } from "./core/ids.ts";
import type { EcsOptions } from "./ecs/component.ts";
import type { OidcOptions } from "./oidc/component.ts";
import type { StsOptions } from "./sts/operations.ts";

export type RuntimeChoice = "auto" | "docker" | "simulated";

export interface TwinOptions {
  /** State directory (SQLite database, blobs, keys). Created if missing. */
  stateDir: string;
  /** TCP port; 0 picks a free one. Default 4599, like a fixed edge port users can export once. */
  port?: number;
  /** Bind address. Default 127.0.0.1: the twin holds credentials and must not face a network by default. */
  host?: string;
  /** The account the twin plays. Default 123456789012 (the AWS documentation's example account). */
  accountId?: string;
  /** Region for unsigned calls and ARNs the twin mints on its own. Default us-east-1; any signed region is accepted. */
  region?: string;
  /** ECS task runtime. Default auto: a Docker Engine API socket if one answers, else simulated. */
  runtime?: RuntimeChoice;
  /**
   * aws:SecureTransport for the twin's plain-HTTP calls. Default false, as AWS would say of plain HTTP;
   * true lets a policy's "deny unless SecureTransport" guard be tested unchanged.
   */
  secureTransport?: boolean;
  /** OIDC token lifetime in seconds. Default 300, as GitHub's. */
  tokenLifetimeSeconds?: number;
  /** Where log lines go. Default stderr. Secrets and tokens never reach it. */
  log?: (line: string) => void;
  clock?: Clock;
  ids?: IdGenerator;
  /** ECS scheduler and runtime options: tick, timings, circuit-breaker minimum (src/ecs/component.ts) */
  ecs?: EcsOptions;
  /** OIDC issuer: issuer URL, lifetimes, key overlap, other issuers STS may verify (src/oidc/component.ts) */
  oidc?: OidcOptions;
  /** STS: web identity clock skew and token age, packed-policy limit (src/sts/operations.ts) */
  sts?: StsOptions;
  /**
   * Benchmarks only: measure the cost of authorization by turning it off. In-process only (no CLI
   * flag, no environment variable), so a served twin always enforces IAM.
   */
  benchmarkWithoutAuthorization?: boolean;
}

export interface TwinConfig
  extends Required<
    Omit<
      TwinOptions,
      "log" | "clock" | "ids" | "ecs" | "oidc" | "sts" | "benchmarkWithoutAuthorization" | "secureTransport"
    >
  > {
  log: (line: string) => void;
  clock: Clock;
  ids: IdGenerator;
}

export const DEFAULT_PORT = 4599;
export const DEFAULT_ACCOUNT = "123456789012";
export const DEFAULT_REGION = "us-east-1";

export function resolveConfig(options: TwinOptions): TwinConfig {
  return {
    stateDir: options.stateDir,
    port: options.port ?? DEFAULT_PORT,
    host: options.host ?? "127.0.0.1",
    accountId: options.accountId ?? DEFAULT_ACCOUNT,
    region: options.region ?? DEFAULT_REGION,
    runtime: options.runtime ?? "auto",
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 300,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
  };
}
