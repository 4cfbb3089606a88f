// `keyship deploy`: credentials, image push, task definition, service update and a watched rollout in one command.

import { runDeploy } from "../client/deploy/run.ts";
import { addMask, appendSummary, setOutput } from "../client/github/commands.ts";
import { parseDeployCommand, UsageError } from "./deploy-args.ts";

export const usage = `Usage: keyship deploy --region REGION --cluster C --service S --task-definition FILE
                      [--role-arn ARN] [--container NAME (--image REF | --image-from SRC [--image REPO[:TAG]]) [--env NAME=VALUE ...]] ...
                      [--env NAME=VALUE ...] [--tag TAG] [--mount-from REPO] [--wait-minutes N] [--keep-revisions N]
                      [--force-new-deployment] [--dry-run] [--audience AUD] [--web-identity-token-file FILE]

Deploys a task definition (JSON or YAML, plain or describe-task-definition output) to an ECS service and waits
until the rollout is done, against AWS, or against the keyship twin when AWS_ENDPOINT_URL is set.

Credentials: in a GitHub job with \`permissions: id-token: write\`, the job's OIDC token (audience
sts.amazonaws.com unless --audience) is exchanged for --role-arn with AssumeRoleWithWebIdentity; else
AWS_WEB_IDENTITY_TOKEN_FILE / --web-identity-token-file; else the usual AWS chain (with --role-arn: AssumeRole).

Images: --image REF writes REF into the container. --image-from pushes a local image first, through the
registry API (no docker CLI): daemon:NAME (Docker/Podman API socket, DOCKER_HOST), oci:DIR[:REF],
oci-archive:TAR[:REF], docker-archive:TAR[:REPO:TAG]. It goes to --image REPO[:TAG] or the repository the
container names already, tagged --tag (default GITHUB_SHA, else latest), and the task definition is pinned
to the pushed digest. --env before any --container applies to every container.

A task definition equal to the current revision is not registered again (needs ecs:DescribeTaskDefinition;
without it keyship registers, as the official action does, and says so once). --keep-revisions N
deregisters older ACTIVE revisions of the family beyond N (needs ecs:ListTaskDefinitions and
ecs:DeregisterTaskDefinition). --wait-minutes 0 does not wait (default 30).

Exit codes: 0 deployed and stable, 1 error (credentials, API), 2 usage, 3 the rollout failed or the circuit
breaker rolled it back, 4 timed out.

Example:
  keyship deploy --role-arn arn:aws:iam::123456789012:role/github-actions-deploy --region ap-northeast-1 \\
    --cluster sample_ecs_cluster --service sample_ecs_service --task-definition task-definition.json \\
    --container web --image-from daemon:sample-app:latest --image 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/sample-app
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const params = parseDeployCommand(argv, env, "keyship deploy", usage);
  if (typeof params === "number") return params;
  const inActions = env.GITHUB_ACTIONS === "true";
  const io = { env, write: (line: string) => process.stdout.write(`${line}\n`) };
  const result = await runDeploy(params, {
    env,
    log: (line) => process.stdout.write(`${line}\n`),
    ...(inActions && { mask: (secret: string) => addMask(io, secret) }),
  });
  if (inActions) {
    if (result.taskDefinitionArn) setOutput(io, "task-definition-arn", result.taskDefinitionArn);
    if (result.deploymentId) setOutput(io, "deployment-id", result.deploymentId);
    if (result.images[0]) setOutput(io, "image-digest", result.images[0].result.digest);
    appendSummary(io, result.summary);
  }
  return result.exitCode;
}

export { UsageError };
