// The CloudWatch log group and stream a task's containers write to under the awslogs driver, named as ECS
// names them, so `keyship logs --group GROUP STREAM` finds the output a user would look for in CloudWatch.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
import type { Json, TaskRecord } from "./model.ts";

export interface AwslogsStream {
  /** options["awslogs-group"] */
  group: string;
  /** `PREFIX/CONTAINER/TASK_ID` with awslogs-stream-prefix; without one, the container's Docker id */
  stream: string;
  /** the container definition's name */
  container: string;
}

/**
 * The awslogs streams of a task, one per container definition whose logConfiguration uses the awslogs
 * driver. "If you don't specify a prefix with this option, then the log stream is named after the
 * container ID that's assigned by the Docker daemon": such a stream exists once the container does.
 */
export function awslogsStreams(task: TaskRecord, taskDefinition: Json): AwslogsStream[] {
  const out: AwslogsStream[] = [];
  for (const def of (taskDefinition.containerDefinitions ?? []) as Json[]) {
    const config = def.logConfiguration as Json | undefined;
    if (config?.logDriver !== "awslogs") continue;
    const options = (config.options ?? {}) as Record<string, string>;
    const group = options["awslogs-group"];
    if (!group) continue;
    const prefix = options["awslogs-stream-prefix"];
    if (prefix) {
      out.push({ group, stream: `${prefix}/${def.name}/${task.taskId}`, container: def.name });
      continue;
    }
    const runtimeId = task.containers.find((c) => c.name === def.name)?.runtimeId;
    if (runtimeId) out.push({ group, stream: runtimeId, container: def.name });
  }
  return out;
}
