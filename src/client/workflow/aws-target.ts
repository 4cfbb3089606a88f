// Where client commands send their AWS calls: AWS_ENDPOINT_URL (the twin or real AWS, credentials from
// the SDK's default chain), or an in-process twin on a state dir when no endpoint is set.
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsClients } from "../terraform/resource-type.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsTarget {
  /** the endpoint every AWS call goes to; undefined means AWS's own endpoints */
  endpoint: string | undefined;
  region: string;
  /** explicit credentials (the in-process twin's admin); undefined → the SDK default chain */
  credentials: Credentials | undefined;
  /** set when this process started the twin */
  twin?: { url: string; runtime: string; accountId: string; close(): Promise<void> };
  clients(credentials?: Credentials, region?: string): AwsClients;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** state dir for an in-process twin (used only when no AWS_ENDPOINT_URL is set) */
  stateDir?: string;
  region?: string;
  env?: NodeJS.ProcessEnv;
  /** twin options passed through (e.g. runtime: "simulated") */
  twinOptions?: Record<string, unknown>;
}

export function clientsFor(
  endpoint: string | undefined,
  region: string,
  credentials?: Credentials,
): AwsClients {
  const config = { region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
  return {
    iam: new IAMClient(config),
    ecr: new ECRClient(config),
    ecs: new ECSClient(config),
    sts: new STSClient(config),
  };
}

export async function openTarget(opts: TargetOptions): Promise<AwsTarget> {
  const env = opts.env ?? process.env;
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = env.AWS_ENDPOINT_URL;
  if (endpoint || !opts.stateDir) {
    const credentials =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN,
          }
        : undefined;
    return {
      endpoint,
      region,
      credentials,
      clients: (c, r) => clientsFor(endpoint, r ?? region, c ?? credentials),
      close: async () => {},
    };
  }
  // The one place client code starts the twin: `--state DIR` without an endpoint.
  const { startTwin } = await import("../../main.ts");
  const twin = await startTwin({
    stateDir: opts.stateDir,
    port: 0,
    region,
    log: () => {},
    ...opts.twinOptions,
  });
  const credentials = { accessKeyId: twin.admin.accessKeyId, secretAccessKey: twin.admin.secretAccessKey };
  return {
    endpoint: twin.url,
    region,
    credentials,
    twin: { url: twin.url, runtime: twin.runtime, accountId: twin.accountId, close: () => twin.close() },
    clients: (c, r) => clientsFor(twin.url, r ?? region, c ?? credentials),
    close: () => twin.close(),
  };
}
