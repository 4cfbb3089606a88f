// keyship's own action (action.yml at the repository root; `uses: keyship/keyship@v1`, or `uses: ./` in a
// checkout of keyship), built in: the step's inputs as INPUT_* variables, exactly as a runner passes them to
// the action's main, into the same runDeployAction the bundled action/main.ts calls. The step's own
// environment (endpoint, the credentials configure-aws-credentials exported) is passed explicitly; process.env
// is never touched.
import { fileURLToPath } from "node:url";
import { runDeployAction } from "../../github/deploy-action.ts";
import { inputDefaults, readActionMetadata } from "../action-metadata.ts";
import { ActionFailure, type BuiltinAction } from "./action-context.ts";

/** keyship's action.yml, read once: its input names and defaults are the built-in's. */
export const keyshipActionMetadata = readActionMetadata(
  fileURLToPath(new URL("../../../../action.yml", import.meta.url)),
);

/** The variables a runner sets for a JavaScript action's inputs (@actions/core `getInput` reads them). */
export function inputVariables(inputs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(inputs)) out[`INPUT_${k.replace(/ /g, "_").toUpperCase()}`] = v;
  return out;
}

export const keyshipDeploy: BuiltinAction = {
  name: "keyship/keyship",
  defaults: inputDefaults(keyshipActionMetadata),
  metadata: keyshipActionMetadata,
  async run(ctx) {
    const env = { ...ctx.env, ...inputVariables(ctx.inputs) };
    const keys =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
          }
        : undefined;
    let failure: string | undefined;
    const { exitCode, result } = await runDeployAction({
      env,
      log: ctx.log,
      mask: ctx.mask,
      setOutput: ctx.setOutput,
      summary: ctx.appendSummary,
      error: (message) => {
        failure = message;
      },
      aws: {
        ...(env.AWS_ENDPOINT_URL && { endpoint: env.AWS_ENDPOINT_URL }),
        ...(keys && { credentials: keys }),
      },
    });
    if (result?.images.length) ctx.event("push", result.images.map((i) => i.result.digest).join(", "));
    if (result?.registered && result.taskDefinitionArn) ctx.event("register", result.taskDefinitionArn);
    if (result?.deploymentId) ctx.event("roll", result.deploymentId);
    if (exitCode !== 0) throw new ActionFailure(failure ?? `keyship deploy failed (exit ${exitCode})`);
    if (result?.outcome === "stable") ctx.event("stable", ctx.inputs.service ?? "");
  },
};
