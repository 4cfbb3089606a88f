// The ECS component: store, operations, scheduler and task runtime wired together for the composition root.
import { randomInt } from "node:crypto";
import { join } from "node:path";
import type { Route, Service, TwinRuntime } from "../core/service.ts";
import type { ImageSource } from "../ecr/image-source.ts";
import type { Authorize } from "../http/serve.ts";
import ecsShapes from "../http/shapes/ecs.json" with { type: "json" };
import type { Store } from "../store/sqlite.ts";
import type { AssumeRoleForService } from "../sts/service-assume.ts";
import { awslogsStreams } from "./awslogs.ts";
import type { TaskRecord } from "./model.ts";
import { createEcsOperations } from "./operations.ts";
import { defaultReconcileConfig, type ReconcileConfig } from "./reconcile.ts";
import { chooseRuntime, type RuntimeKind } from "./runtime/index.ts";
import type { EcsImageSource, TaskRuntime } from "./runtime/runtime.ts";
import type { SimulatedOptions } from "./runtime/simulated.ts";
import { Scheduler, type Timer } from "./scheduler.ts";
import { EcsStore } from "./store.ts";
import { createTaskImages } from "./task-images.ts";

/** ECS options (specs/ecs.md §11); defaults are AWS's behaviour. */
export interface EcsOptions {
  /** scheduler period. Default 1000 ms */
  tickMs?: number;
  reconcile?: Partial<ReconcileConfig>;
  /** docker stop grace when a container sets no stopTimeout. Default 30 s */
  defaultStopTimeoutSeconds?: number;
  /** stopped tasks stay describable this long. Default 3600 s */
  stoppedTaskRetentionSeconds?: number;
  /** simulated runtime timings and failure mode */
  simulated?: SimulatedOptions;
  /**
   * Remove this state's containers when the twin closes. Default false: containers keep running and a
   * restarted twin adopts them. Tests on throwaway state dirs set it so nothing is left behind.
   */
  removeContainersOnClose?: boolean;
  timer?: Timer;
}

export interface CreateEcsOptions {
  store: Store;
  rt: TwinRuntime;
  /** the ECR component's image source: ECR references in task definitions resolve to the twin's registry */
  images?: ImageSource;
  /** the twin's URL once listening (the registry's address for engine pulls) */
  baseUrl?: () => string | undefined;
  /**
   * STS's assumeRoleForService: a task's ECR images are pulled as its execution role, assumed as
   * ecs-tasks.amazonaws.com (task-images.ts). Without it every pull uses `pullAccessKeyId`.
   */
  assumeRole?: AssumeRoleForService;
  /** the twin's authorizer: the execution role session's ECR permissions (GetAuthorizationToken, simulated pulls) */
  authorize?: Authorize;
  /**
   * The access key tasks without an execution role pull with on EC2 (AWS uses the container instance role,
   * which the twin does not model).
   */
  pullAccessKeyId?: () => string | undefined;
  /** aws:SecureTransport of the pulls made for tasks (TwinOptions.secureTransport) */
  secureTransport?: boolean;
  runtime: RuntimeKind;
  /** a runtime built by the caller (tests), instead of `runtime` */
  taskRuntime?: TaskRuntime;
  options?: EcsOptions;
  log: (line: string) => void;
}

export interface EcsComponent {
  service: Service;
  /**
   * For `keyship logs`: GET /_keyship/ecs/tasks/<task id or ARN>/logs[?container=NAME] (a task's container
   * output) and GET /_keyship/ecs/logs?group=GROUP[&stream=STREAM] (by awslogs names: awslogs.ts).
   */
  routes: Route[];
  /** docker or simulated, once started ("pending" before) */
  readonly runtimeName: string;
  scheduler(): Scheduler | undefined;
  /** a task's container output, or one container's (`keyship logs TASK`) */
  logs(taskRef: string, container?: string): Promise<string | undefined>;
  /** the awslogs streams of a log group, newest task first; with `stream`, that stream's output */
  awslogs(group: string, stream?: string): Promise<{ streams: string[]; output?: string }>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createEcs(o: CreateEcsOptions): EcsComponent {
  const ecs = new EcsStore(o.store);
  const ids = {
    uuid: () => o.rt.ids.uuid(),
    taskId: () => o.rt.ids.hex(32),
    // ecs-svc/ + 19 digits, first 1–9 (specs/ecs.md §2)
    deploymentId: () =>
      `ecs-svc/${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, "0")}${String(randomInt(0, 1e9)).padStart(9, "0")}`,
  };
  let scheduler: Scheduler | undefined;
  let runtime: TaskRuntime | undefined;
  const operations = createEcsOperations({ ecs, ids, kick: () => scheduler?.kick() });
  const opts = o.options ?? {};
  const logs = async (taskRef: string, container?: string): Promise<string | undefined> => {
    const row = o.store.db
      .prepare<[string, string], { doc: string }>("SELECT doc FROM ecs_tasks WHERE arn = ? OR arn LIKE ?")
      .get(taskRef, `%/${taskRef}`);
    if (!row || !runtime) return undefined;
    return runtime.logs(JSON.parse(row.doc), container);
  };
  const awslogs = async (group: string, stream?: string) => {
    const rows = o.store.db
      .prepare<[], { doc: string }>(
        "SELECT doc FROM ecs_tasks ORDER BY json_extract(doc, '$.createdAt') DESC",
      )
      .all();
    const streams: string[] = [];
    for (const row of rows) {
      const task = JSON.parse(row.doc) as TaskRecord;
      const td = ecs.getTaskDefinitionByArn(task.taskDefinitionArn);
      if (!td) continue;
      for (const s of awslogsStreams(task, td.doc)) {
        if (s.group !== group) continue;
        if (s.stream === stream && runtime) {
          return { streams: [s.stream], output: await runtime.logs(task, s.container) };
        }
        streams.push(s.stream);
      }
    }
    return { streams: stream === undefined ? streams : [] };
  };

  return {
    routes: [
      {
        method: "GET",
        path: /^\/_keyship\/ecs\/tasks\/(.+)\/logs$/,
        async handler(req, res, ctx) {
          const container = new URL(req.url ?? "/", ctx.baseUrl).searchParams.get("container") ?? undefined;
          const text = await logs(decodeURIComponent(ctx.match?.[1] ?? ""), container);
          res.writeHead(text === undefined ? 404 : 200, { "content-type": "text/plain; charset=utf-8" });
          res.end(text ?? "task not found\n");
        },
      },
      {
        method: "GET",
        path: /^\/_keyship\/ecs\/logs$/,
        async handler(req, res, ctx) {
          const q = new URL(req.url ?? "/", ctx.baseUrl).searchParams;
          const group = q.get("group");
          const stream = q.get("stream") ?? undefined;
          const text = (status: number, body: string) => {
            res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
            res.end(body);
          };
          if (!group) return text(400, "group is required\n");
          const found = await awslogs(group, stream);
          if (stream === undefined) return text(200, found.streams.map((s) => `${s}\n`).join(""));
          if (found.output === undefined) return text(404, "log stream not found\n");
          text(200, found.output);
        },
      },
    ],
    service: {
      name: "ecs",
      protocol: "json",
      targetPrefix: "AmazonEC2ContainerServiceV20141113",
      inputShapes: ecsShapes,
      operations,
    },
    get runtimeName() {
      return runtime?.name ?? "pending";
    },
    scheduler: () => scheduler,
    logs,
    awslogs,
    async start() {
      runtime =
        o.taskRuntime ??
        (await chooseRuntime(o.runtime, {
          images: o.images ? ecsImages(o.images, o) : undefined,
          logDir: join(o.store.dir, "ecs-logs"),
          owner: stateId(o),
          simulated: opts.simulated,
          defaultStopTimeoutSeconds: opts.defaultStopTimeoutSeconds,
          log: o.log,
        }));
      scheduler = new Scheduler({
        ecs,
        runtime,
        clock: o.rt.clock,
        ids,
        config: { ...defaultReconcileConfig, ...opts.reconcile },
        tickMs: opts.tickMs ?? 1000,
        stoppedTaskRetentionSeconds: opts.stoppedTaskRetentionSeconds ?? 3600,
        timer: opts.timer,
        log: o.log,
      });
      await scheduler.start();
    },
    async close() {
      ecs.flushGrouped();
      await scheduler?.stop();
      await runtime?.close();
      if (opts.removeContainersOnClose) await runtime?.adopt(new Set());
    },
  };
}

/** The ECR image source as the runtimes need it: a task's images, pulled as its execution role. */
function ecsImages(images: ImageSource, o: CreateEcsOptions): EcsImageSource {
  return createTaskImages({
    images,
    rt: o.rt,
    baseUrl: () => o.baseUrl?.(),
    ...(o.assumeRole ? { assumeRole: o.assumeRole } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    ...(o.secureTransport ? { secureTransport: true } : {}),
    ...(o.pullAccessKeyId ? { instanceAccessKeyId: o.pullAccessKeyId } : {}),
  });
}

/** A random id per state dir, recorded once: the label that tells this twin's containers from others'. */
function stateId(o: CreateEcsOptions): string {
  let id = o.store.getSetting("ecs.stateId");
  if (!id) {
    id = o.rt.ids.hex(16);
    o.store.setSetting("ecs.stateId", id);
  }
  return id;
}
