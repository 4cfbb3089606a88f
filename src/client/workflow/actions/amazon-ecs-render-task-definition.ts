// aws-actions/amazon-ecs-render-task-definition v1, built in (official-actions.md §3): writes the image
// (and env, secrets, log options, roles) into the named containers and outputs a new file's path.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { DESCRIBE_ONLY_ATTRIBUTES } from "../../deploy/strip.ts";
import { ActionFailure, type BuiltinAction } from "./action-context.ts";

type Container = Record<string, unknown> & { name?: string };

const lines = (v: string | undefined) =>
  (v ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

const roleArn = /^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f)?:iam::[0-9]{12}:role\/.+$/;

function upsert(
  list: { name?: string; value?: string; valueFrom?: string }[],
  name: string,
  field: "value" | "valueFrom",
  value: string,
): void {
  const existing = list.find((e) => e.name === name);
  if (existing) existing[field] = value;
  else list.push({ name, [field]: value });
}

export const amazonEcsRenderTaskDefinition: BuiltinAction = {
  name: "aws-actions/amazon-ecs-render-task-definition",
  defaults: {},
  async run(ctx) {
    const file = ctx.inputs["task-definition"];
    if (!file)
      throw new ActionFailure(
        "task-definition-arn, task-definition-family or task-definition must be provided (keyship renders files only)",
      );
    const path = isAbsolute(file) ? file : join(ctx.workspace, file);
    if (!existsSync(path)) throw new ActionFailure(`Task definition file does not exist: ${file}`);
    let td: Record<string, unknown>;
    try {
      td = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ActionFailure(`Unexpected token in ${file}: ${(err as Error).message}`);
    }
    const names = (ctx.inputs["container-name"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (!names.length) throw new ActionFailure("Input required and not supplied: container-name");
    const image = ctx.inputs.image;
    if (!image) throw new ActionFailure("Input required and not supplied: image");
    const containers = (td.containerDefinitions ?? []) as Container[];
    if (!Array.isArray(containers))
      throw new ActionFailure(
        "Invalid task definition format: containerDefinitions section is not present or is not an array",
      );
    for (const name of names) {
      const c = containers.find((x) => x.name === name);
      if (!c)
        throw new ActionFailure(
          "Invalid task definition: Could not find container definition with matching name",
        );
      c.image = image;
      for (const l of lines(ctx.inputs["environment-variables"])) {
        const i = l.indexOf("=");
        if (i < 0)
          throw new ActionFailure(
            `Cannot parse the environment variable '${l}'. Environment variable pairs must be of the form NAME=value.`,
          );
        c.environment ??= [];
        upsert(c.environment as { name?: string; value?: string }[], l.slice(0, i), "value", l.slice(i + 1));
      }
      for (const l of lines(ctx.inputs.secrets)) {
        const i = l.indexOf("=");
        if (i < 0)
          throw new ActionFailure(
            `Cannot parse the secret '${l}'. Secret pairs must be of the form NAME=valueFrom.`,
          );
        c.secrets ??= [];
        upsert(
          c.secrets as { name?: string; valueFrom?: string }[],
          l.slice(0, i),
          "valueFrom",
          l.slice(i + 1),
        );
      }
      const envFiles = lines(ctx.inputs["env-files"]);
      if (envFiles.length) c.environmentFiles = envFiles.map((value) => ({ value, type: "s3" }));
      if (ctx.inputs["log-configuration-log-driver"]) {
        const options: Record<string, string> = {};
        // The official action splits at every "=", so a value with "=" is truncated; keyship keeps it whole.
        for (const l of lines(ctx.inputs["log-configuration-options"])) {
          const i = l.indexOf("=");
          options[l.slice(0, i)] = l.slice(i + 1);
        }
        c.logConfiguration = { logDriver: ctx.inputs["log-configuration-log-driver"], options };
      }
      const labels = lines(ctx.inputs["docker-labels"]);
      if (labels.length) {
        const dl = (c.dockerLabels ?? {}) as Record<string, string>;
        for (const l of labels) {
          const i = l.indexOf("=");
          dl[l.slice(0, i)] = l.slice(i + 1);
        }
        c.dockerLabels = dl;
      }
      if (ctx.inputs.command) c.command = ctx.inputs.command.split(" ");
    }
    for (const [input, field] of [
      ["task-role-arn", "taskRoleArn"],
      ["execution-role-arn", "executionRoleArn"],
    ] as const) {
      const v = ctx.inputs[input];
      if (!v) continue;
      if (!roleArn.test(v)) throw new ActionFailure(`Invalid ${input}: ${v}`);
      td[field] = v;
    }
    for (const k of DESCRIBE_ONLY_ATTRIBUTES) delete td[k];
    const out = join(ctx.runnerTemp, `task-definition-${randomUUID().slice(0, 8)}.json`);
    await writeFile(out, JSON.stringify(td, null, 2));
    ctx.setOutput("task-definition", out);
  },
};
