// SDK clients for a built-in action, from the step's environment (credentials, region, endpoints) the
// way the official actions' bundled SDK reads them.
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ActionFailure } from "./action-context.ts";

function config(env: Record<string, string>, service: "ECR" | "ECS", userAgent: string) {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region)
    throw new ActionFailure(
      "Region is missing: set AWS_REGION (configure-aws-credentials does) or AWS_DEFAULT_REGION",
    );
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
    throw new ActionFailure(
      "Credentials could not be loaded: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (run aws-actions/configure-aws-credentials first)",
    );
  }
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    },
    customUserAgent: userAgent,
  };
}

export const ecrClient = (env: Record<string, string>, ua: string) => new ECRClient(config(env, "ECR", ua));
export const ecsClient = (env: Record<string, string>, ua: string) => new ECSClient(config(env, "ECS", ua));
