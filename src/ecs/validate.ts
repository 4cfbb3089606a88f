// RegisterTaskDefinition validation (pure): ECS's rules and messages, the Fargate cpu/memory table, and the
// "1 vCPU" / "1 GB" normalisation. Spec: specs/ecs.md §4.2–4.4; the rules come from
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html
// Validation returns problems in check order; the operation throws the first (ECS reports one per call).

// biome-ignore lint/suspicious/noExplicitAny: task definitions arrive as AWS-shaped JSON
type Json = Record<string, any>;

export interface Problem {
  code: "ClientException" | "InvalidParameterException";
  message: string;
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
/** an image in a private ECR registry (ecr/image-source.ts parses the same hosts) */
const ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.(?:amazonaws\.com(?:\.cn)?|localhost(?::\d+)?)\//;

/**
 * Fargate's valid task cpu → memory (MiB) pairs.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function fargateAllows(cpu: number, memory: number): boolean {
  return FARGATE_SIZES.get(cpu)?.includes(memory) ?? false;
}

/**
 * "String values are converted to an integer indicating the CPU units when the task definition is
 * registered" (RegisterTaskDefinitionRequest.cpu): "1 vCPU" → "1024", "0.25 vcpu" → "256", "512" stays.
 * Returns undefined when the text does not parse.
 */
export function normaliseCpu(value: string): string | undefined {
  return normaliseUnit(value, /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i);
}

/** "1GB" / "1 GB" / "0.5 GB" → MiB ("1024", "512"); "2048" stays. */
export function normaliseMemory(value: string): string | undefined {
  return normaliseUnit(value, /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i);
}

function normaliseUnit(value: string, grammar: RegExp): string | undefined {
  const m = grammar.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) {
    const scaled = n * 1024;
    return Number.isInteger(scaled) ? String(scaled) : undefined;
  }
  // a unitless value must be an integer
  return /^\d+$/.test(m[1]!) ? String(n) : undefined;
}

const client = (message: string): Problem => ({ code: "ClientException", message });
const invalid = (message: string): Problem => ({ code: "InvalidParameterException", message });

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** A role given as ARN or bare name → its ARN; undefined if neither (ECS: "Role is not valid"). */
export function roleArnOf(value: string, accountId: string): string | undefined {
  if (ROLE_ARN.test(value)) return value;
  if (ROLE_NAME.test(value)) return `arn:aws:iam::${accountId}:role/${value}`;
  return undefined;
}

/**
 * Checks a RegisterTaskDefinition input. Order follows specs/ecs.md §4.2 (first failure wins).
 * `accountId` expands bare role names. PassRole (§4.4) is the operation's job: it needs the principal.
 */
export function validateTaskDefinition(input: Json, accountId = "123456789012"): Problem[] {
  const problems: Problem[] = [];
  const family = input.family;
  if (typeof family !== "string" || family.length === 0) return [client("Family can not be blank.")];
  if (!NAME.test(family)) return [client("Family contains invalid characters.")];

  const containers: Json[] = Array.isArray(input.containerDefinitions) ? input.containerDefinitions : [];
  if (containers.length === 0) return [client("Container list cannot be empty.")];

  const names = new Set<string>();
  for (const c of containers) {
    if (typeof c.name !== "string" || c.name.length === 0) {
      problems.push(client("Container.name should not be null or empty."));
    } else if (!NAME.test(c.name)) {
      problems.push(client("Container.name contains invalid characters."));
    } else if (names.has(c.name)) {
      problems.push(client("Container names must be unique."));
    } else names.add(c.name);
  }
  for (const c of containers) {
    if (typeof c.image !== "string" || c.image.length === 0) {
      problems.push(client("Container.image should not be null or empty."));
      continue;
    }
    const at = c.image.indexOf("@");
    const repo = at < 0 ? c.image : c.image.slice(0, at);
    if (repo.length > 255)
      problems.push(invalid(`Container.image repository should be 255 characters or less.`));
    if (at >= 0 && !/^sha256:[0-9a-f]{64}$/.test(c.image.slice(at + 1))) {
      problems.push(invalid(`Container.image digest is not valid.`));
    }
  }

  const memoryText = input.memory === undefined ? undefined : String(input.memory);
  const cpuText = input.cpu === undefined ? undefined : String(input.cpu);
  const taskMemory = memoryText === undefined ? undefined : normaliseMemory(memoryText);
  const taskCpu = cpuText === undefined ? undefined : normaliseCpu(cpuText);

  for (const c of containers) {
    if (taskMemory === undefined && c.memory == null && c.memoryReservation == null) {
      problems.push(
        client(
          `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
        ),
      );
    }
  }
  for (const c of containers) {
    if (c.memory != null && c.memoryReservation != null && c.memory <= c.memoryReservation) {
      problems.push(
        client(
          `Invalid setting for container '${c.name}'. The value for 'memory' must be greater than the value for 'memoryReservation'.`,
        ),
      );
    }
  }
  if (taskMemory !== undefined) {
    const sum = containers.reduce((s, c) => s + (typeof c.memory === "number" ? c.memory : 0), 0);
    if (sum > Number(taskMemory)) {
      problems.push(
        client(
          "Invalid 'memory' setting for container. The sum of container memory must not exceed the task memory.",
        ),
      );
    }
  }

  if (!containers.some((c) => c.essential !== false)) {
    problems.push(client("Task definition doesn't have any essential container."));
  }
  const essential = new Set(containers.filter((c) => c.essential !== false).map((c) => c.name));
  for (const c of containers) {
    for (const d of (c.dependsOn ?? []) as Json[]) {
      // AWS's text, with its stray " + " (eagletmt/hako#99, dagster-io/dagster#6926)
      if (!names.has(d.containerName)) {
        problems.push(client(`Cannot depend on container + '${d.containerName}' because it does not exist`));
        continue;
      }
      if ((d.condition === "SUCCESS" || d.condition === "COMPLETE") && essential.has(d.containerName)) {
        problems.push(
          client(
            "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container",
          ),
        );
      }
    }
  }

  // "Container links should not have a cycle" is AWS's text (Shippable/support#4194); a dependsOn cycle
  // could never start either, and is refused in the same words (the twin's, for dependsOn).
  const linked = (c: Json): string[] =>
    Array.isArray(c.links) ? c.links.map((l: unknown) => String(l).split(":")[0]!) : [];
  const dependedOn = (c: Json): string[] =>
    Array.isArray(c.dependsOn) ? c.dependsOn.map((d: Json) => String(d?.containerName)) : [];
  if (hasCycle(containers, linked)) problems.push(client("Container links should not have a cycle"));
  if (hasCycle(containers, dependedOn))
    problems.push(client("Container dependencies should not have a cycle"));

  const fargate =
    Array.isArray(input.requiresCompatibilities) && input.requiresCompatibilities.includes("FARGATE");
  const networkMode: string = input.networkMode ?? "bridge";
  if (fargate) {
    if (networkMode !== "awsvpc")
      problems.push(client("Fargate only supports network mode \u2018awsvpc\u2019."));
    if (cpuText === undefined)
      problems.push(client("Fargate requires that 'cpu' be defined at the task level."));
    else if (
      taskCpu !== undefined &&
      taskMemory !== undefined &&
      !fargateAllows(Number(taskCpu), Number(taskMemory))
    ) {
      problems.push(
        client(
          `No Fargate configuration exists for given values: ${taskCpu} CPU, ${taskMemory} memory. See the Amazon ECS documentation for the valid values.`,
        ),
      );
    }
  }
  const cpuMax = 196608;
  if (cpuText !== undefined && (taskCpu === undefined || Number(taskCpu) < 128 || Number(taskCpu) > cpuMax)) {
    problems.push(
      client(
        "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ),
    );
  }
  if (memoryText !== undefined && (taskMemory === undefined || Number(taskMemory) <= 0)) {
    problems.push(
      client(
        "Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
      ),
    );
  }
  if (fargate) {
    const awslogs = containers.some((c) => c.logConfiguration?.logDriver === "awslogs");
    if (awslogs && !input.executionRoleArn) {
      problems.push(
        client("Fargate requires task definition to have execution role ARN to support log driver awslogs."),
      );
    }
    // Fargate pulls private ECR images as the execution role only (hashicorp/terraform-provider-aws#3051)
    if (!input.executionRoleArn && containers.some((c) => ECR_IMAGE.test(String(c.image ?? "")))) {
      problems.push(
        client("Fargate requires task definition to have execution role ARN to support ECR images."),
      );
    }
    if (input.ipcMode != null)
      problems.push(client("Tasks using the Fargate launch type do not support ipcMode."));
    if (input.pidMode != null && input.pidMode !== "task") {
      problems.push(
        client(
          `Tasks using the Fargate launch type do not support pidMode '${input.pidMode}'. The supported value for pidMode is 'task'.`,
        ),
      );
    }
  }
  for (const c of containers) {
    if (networkMode === "awsvpc" && c.hostname != null) {
      problems.push(client("hostname is not supported on container when networkMode=awsvpc."));
    }
    const ports: Json[] = c.portMappings ?? [];
    if (networkMode === "none" && ports.length > 0) {
      problems.push(client("Port mappings are not supported when networkMode=none."));
    }
    if (networkMode === "awsvpc" || networkMode === "host") {
      for (const p of ports) {
        if (p.hostPort != null && p.containerPort != null && p.hostPort !== p.containerPort) {
          problems.push(
            client(
              `When networkMode=${networkMode}, containerPort and hostPort must be the same: container '${c.name}' containerPort ${p.containerPort}, hostPort ${p.hostPort}.`,
            ),
          );
        }
      }
    }
    if (networkMode !== "bridge" && Array.isArray(c.links) && c.links.length > 0) {
      problems.push(client(`Links are not supported when networkMode=${networkMode}.`));
    }
    const hc = c.healthCheck as Json | undefined;
    if (hc) problems.push(...healthCheckProblems(c.name, hc));
    if (fargate) {
      for (const key of ["stopTimeout", "startTimeout"] as const) {
        const v = c[key];
        if (v != null && (v < 2 || v > 120)) {
          problems.push(
            client(
              `Invalid '${key}' setting for container '${c.name}'. The value must be between 2 and 120 seconds.`,
            ),
          );
        }
      }
    }
  }
  for (const key of ["taskRoleArn", "executionRoleArn"] as const) {
    const v = input[key];
    if (v != null && (typeof v !== "string" || roleArnOf(v, accountId) === undefined)) {
      problems.push(client("Role is not valid"));
    }
  }
  if (Array.isArray(input.tags) && input.tags.length > 50) {
    problems.push(invalid("Tags exceed the maximum of 50 per resource."));
  }
  return problems;
}

function healthCheckProblems(name: string, hc: Json): Problem[] {
  const out: Problem[] = [];
  const cmd = hc.command;
  if (!Array.isArray(cmd) || cmd.length === 0) {
    out.push(client(`Invalid setting for container '${name}'. healthCheck.command should not be empty.`));
  }
  const bounds: [string, number, number][] = [
    ["interval", 5, 300],
    ["timeout", 2, 60],
    ["retries", 1, 10],
    ["startPeriod", 0, 300],
  ];
  for (const [key, lo, hi] of bounds) {
    const v = hc[key];
    if (v != null && (typeof v !== "number" || v < lo || v > hi)) {
      out.push(
        client(
          `Invalid setting for container '${name}'. healthCheck.${key} must be between ${lo} and ${hi}.`,
        ),
      );
    }
  }
  return out;
}

/** The normalised task-level cpu and memory (integer strings), as stored and returned. */
export function normalisedSizes(input: Json): { cpu?: string; memory?: string } {
  const out: { cpu?: string; memory?: string } = {};
  if (input.cpu !== undefined) {
    const v = normaliseCpu(String(input.cpu));
    if (v !== undefined) out.cpu = v;
  }
  if (input.memory !== undefined) {
    const v = normaliseMemory(String(input.memory));
    if (v !== undefined) out.memory = v;
  }
  return out;
}

/**
 * Whether following `edges` (container names; unknown ones are ignored) from some container returns to it.
 * Iterative: a definition is client input, and a long chain must not exhaust the stack.
 */
function hasCycle(containers: readonly Json[], edges: (c: Json) => string[]): boolean {
  const byName = new Map(containers.map((c) => [c.name as string, c]));
  const done = new Set<string>();
  const onPath = new Set<string>();
  for (const c of containers) {
    if (done.has(c.name)) continue;
    const stack: { name: string; next: string[]; i: number }[] = [{ name: c.name, next: edges(c), i: 0 }];
    onPath.add(c.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i < top.next.length) {
        const name = top.next[top.i++]!;
        if (onPath.has(name)) return true;
        const d = byName.get(name);
        if (d && !done.has(name)) {
          onPath.add(name);
          stack.push({ name, next: edges(d), i: 0 });
        }
      } else {
        stack.pop();
        onPath.delete(top.name);
        done.add(top.name);
      }
    }
  }
  return false;
}
