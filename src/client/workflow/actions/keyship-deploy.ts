// keyship's own action (`uses: keyship/keyship@v1` or a local `./action`), built in: calls the deploy
// engine (src/client/deploy) with the step's inputs and environment.
import { join } from "node:path";
import { runDeploy } from "../../deploy/run.ts";
import { ActionFailure, type BuiltinAction, withProcessEnv } from "./action-context.ts";

/** `containers` lines `name=image`, or container-name + image. */
function containers(inputs: Record<string, string>): { name?: string; image?: string }[] {
  const lines = (inputs.containers ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length) {
    return lines.map((l) => {
      const i = l.indexOf("=");
      return i < 0 ? { name: l } : { name: l.slice(0, i), image: l.slice(i + 1) };
    });
  }
  if (inputs.image) return [{ name: inputs["container-name"] || undefined, image: inputs.image }];
  return [];
}

export const keyshipDeploy: BuiltinAction = {
  name: "keyship/keyship",
  defaults: { audience: "sts.amazonaws.com", "wait-minutes": "10" },
  async run(ctx) {
    const i = ctx.inputs;
    const region = i["aws-region"] || i.region || ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION;
    if (!region) throw new ActionFailure("Input required and not supplied: aws-region");
    const cluster = i.cluster;
    const service = i.service;
    const file = i["task-definition"];
    if (!cluster || !service || !file)
      throw new ActionFailure("keyship deploy needs cluster, service and task-definition");
    const result = await withProcessEnv(ctx.env, () =>
      runDeploy(
        {
          region,
          ...(i["role-to-assume"] || i["role-arn"] ? { roleArn: i["role-to-assume"] || i["role-arn"] } : {}),
          ...(i.audience ? { audience: i.audience } : {}),
          cluster,
          service,
          taskDefinitionFile: join(ctx.workspace, file),
          containers: containers(i),
          waitMinutes: Number(i["wait-minutes"] || 10),
          ...(i["keep-revisions"] ? { keepRevisions: Number(i["keep-revisions"]) } : {}),
        },
        { env: ctx.env, log: ctx.log, mask: ctx.mask },
      ),
    );
    if (result.taskDefinitionArn) ctx.setOutput("task-definition-arn", result.taskDefinitionArn);
    if (result.deploymentId) ctx.setOutput("deployment-id", result.deploymentId);
    if (result.exitCode !== 0)
      throw new ActionFailure(result.message ?? `keyship deploy ended ${result.outcome}`);
    ctx.event("stable", service);
  },
};
