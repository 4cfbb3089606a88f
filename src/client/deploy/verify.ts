// `keyship verify`: before deploying, check that the role can be assumed, the roles to pass exist, the images
// exist and the cluster and service exist. A check the role may not perform is SKIPPED with the reason, not FAILED.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ECSClient } from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { manifestExists } from "../image/push.ts";
import { parseImageRef } from "../image/reference.ts";
import { RegistryError } from "../image/registry-client.ts";
import { errorText, isAccessDenied } from "./io.ts";
import { loginTo } from "./push-images.ts";
import type { TaskDefinitionInput } from "./strip.ts";
import { describeService } from "./watch.ts";

export interface Check {
  name: string;
  status: "OK" | "FAILED" | "SKIPPED";
  detail: string;
}

export async function verify(
  clients: {
    ecs: ECSClient;
    ecr: ECRClient;
    credentials: AwsCredentialIdentityProvider;
    region: string;
    iamEndpoint?: string;
  },
  o: { cluster: string; service: string; taskDefinition: TaskDefinitionInput },
): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, status: Check["status"], detail: string) =>
    checks.push({ name, status, detail });
  try {
    const svc = await describeService(clients.ecs, o.cluster, o.service);
    add(
      `service ${o.cluster}/${o.service}`,
      svc.status === "ACTIVE" ? "OK" : "FAILED",
      `${svc.status}, running ${svc.runningCount}/${svc.desiredCount}, ${svc.taskDefinition?.split("/").pop()}`,
    );
  } catch (e) {
    add(`service ${o.cluster}/${o.service}`, isAccessDenied(e) ? "SKIPPED" : "FAILED", errorText(e));
  }
  const iam = new IAMClient({
    region: clients.region,
    credentials: clients.credentials,
    ...(clients.iamEndpoint && { endpoint: clients.iamEndpoint }),
  });
  for (const arn of [o.taskDefinition.executionRoleArn, o.taskDefinition.taskRoleArn].filter(
    (x): x is string => Boolean(x),
  )) {
    const name = arn.split("/").pop()!;
    try {
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      const trust = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? "");
      const trustsEcs = trust.includes("ecs-tasks.amazonaws.com");
      add(
        `role ${name}`,
        trustsEcs ? "OK" : "FAILED",
        trustsEcs
          ? "exists and trusts ecs-tasks.amazonaws.com"
          : "exists but its trust policy does not name ecs-tasks.amazonaws.com",
      );
    } catch (e) {
      add(
        `role ${name}`,
        isAccessDenied(e) ? "SKIPPED" : "FAILED",
        isAccessDenied(e) ? "iam:GetRole is not allowed for this role" : errorText(e),
      );
    }
  }
  for (const c of o.taskDefinition.containerDefinitions ?? []) {
    const ref = c.image ? parseImageRef(c.image) : undefined;
    if (!ref) {
      add(`image ${c.name}`, "SKIPPED", `${c.image}: not a registry reference keyship can check`);
      continue;
    }
    try {
      const login = await loginTo(clients.ecr, ref);
      const found = await manifestExists(login.client, ref.repository, ref.digest ?? ref.tag ?? "latest");
      add(
        `image ${c.name}`,
        found === "exists" ? "OK" : "FAILED",
        `${c.image} ${found === "exists" ? "exists" : "not found"}`,
      );
    } catch (e) {
      const denied = isAccessDenied(e) || (e instanceof RegistryError && e.status === 403);
      add(
        `image ${c.name}`,
        denied ? "SKIPPED" : "FAILED",
        denied ? `${c.image}: reading images needs ecr:BatchGetImage (${errorText(e)})` : errorText(e),
      );
    }
  }
  return checks;
}
