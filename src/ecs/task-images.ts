// A task's images as ECS gets them: for images in the twin's ECR, ECS assumes the task's execution role as
// ecs-tasks.amazonaws.com (its trust policy must allow that), asks for a registry token as that session
// (ecr:GetAuthorizationToken) and pulls with it, so the registry authorizes ecr:BatchGetImage and
// ecr:GetDownloadUrlForLayer for the session like any other caller. The simulated runtime gets the same
// decisions without pulling. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
import type { Principal, TwinRuntime } from "../core/service.ts";
import type { ResolvedImage as EcrImage, ImageSource } from "../ecr/image-source.ts";
import { AwsError } from "../http/aws-error.ts";
import type { Authorize, CallInfo } from "../http/serve.ts";
import type { AssumeRoleForService } from "../sts/service-assume.ts";
import type { Json, TaskRecord } from "./model.ts";
import {
  imageNotFound,
  noRegistryCredentials,
  pullAccessDenied,
  registryAuthDenied,
  TaskStartFailure,
  unableToAssumeRole,
} from "./pull-reasons.ts";
import type { EcsImageSource, ResolvedImage, SimulatedPull } from "./runtime/runtime.ts";

/** The service principal ECS assumes task roles as (iam-policy.md §2.1). */
export const ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com";

/** What an engine pull of one image asks the registry for (registry/handlers.ts maps the routes). */
const PULL_ACTIONS = ["BatchGetImage", "GetDownloadUrlForLayer"] as const;

export interface TaskImagesDeps {
  images: ImageSource;
  rt: TwinRuntime;
  /** the twin's URL once listening (the registry's address for engine pulls) */
  baseUrl: () => string | undefined;
  /** STS: a role assumed by a service on its own behalf. Without it, every pull uses `instanceAccessKeyId`. */
  assumeRole?: AssumeRoleForService;
  /** the twin's authorizer: GetAuthorizationToken for every pull, the registry's actions for simulated ones */
  authorize?: Authorize;
  /** aws:SecureTransport of the pulls: the twin's setting for its plain HTTP (TwinOptions.secureTransport) */
  secureTransport?: boolean;
  /**
   * The credentials of a task without an execution role on EC2/EXTERNAL (AWS uses the container instance
   * role, which the twin does not model: the caller passes a key allowed to pull, e.g. the admin's).
   */
  instanceAccessKeyId?: () => string | undefined;
}

/** Who pulls a task's images: the execution role's session, or the stand-in for the instance role. */
interface PullIdentity {
  /** undefined: no credentials (only the simulator, which needs none for the instance stand-in, goes on) */
  accessKeyId?: string;
  /** set for execution role sessions: what the simulated runtime authorizes as */
  principal?: Principal;
}

export function createTaskImages(deps: TaskImagesDeps): EcsImageSource {
  const { images, rt } = deps;

  const call = (operation: string): CallInfo => ({
    service: "ecr",
    operation,
    requestId: rt.ids.uuid(),
    now: rt.clock.now(),
    // the agent calls from the task's host: loopback on this machine
    sourceIp: "127.0.0.1",
    region: rt.region,
    secureTransport: deps.secureTransport === true,
  });

  /** Runs `checks` as `principal`; the AccessDenied text when denied. */
  const denial = (principal: Principal, operation: string, checks: Parameters<Authorize>[1]) => {
    try {
      deps.authorize?.(principal, checks, call(operation));
      return undefined;
    } catch (err) {
      if (err instanceof AwsError) return err.message;
      throw err;
    }
  };

  /** Assumes the execution role (or picks the instance stand-in) and gets a registry token as it. */
  async function identity(task: TaskRecord, td: Json, firstImage: string): Promise<PullIdentity> {
    const roleArn = executionRoleArn(task, td, rt.accountId);
    if (!roleArn || !deps.assumeRole) {
      if (task.launchType === "FARGATE" && deps.assumeRole) {
        throw new TaskStartFailure(noRegistryCredentials(firstImage));
      }
      const key = deps.instanceAccessKeyId?.();
      return key ? { accessKeyId: key } : {};
    }
    const outcome = await deps.assumeRole({
      roleArn,
      servicePrincipal: ECS_TASKS_PRINCIPAL,
      sessionName: task.taskId,
      now: rt.clock.now(),
      // the confused-deputy keys ECS supplies (task-iam-roles.html: aws:SourceAccount, aws:SourceArn)
      context: { "aws:SourceAccount": rt.accountId, "aws:SourceArn": task.taskArn },
    });
    if (!outcome.ok) throw new TaskStartFailure(unableToAssumeRole(roleArn));
    const principal = outcome.principal;
    // The agent asks ECR for a registry token as the session (ecr:GetAuthorizationToken on "*").
    const denied = denial(principal, "GetAuthorizationToken", [
      { action: "ecr:GetAuthorizationToken", resource: "*" },
    ]);
    if (denied) throw new TaskStartFailure(registryAuthDenied(denied));
    return { accessKeyId: principal.accessKeyId, principal };
  }

  /** The twin images among the container definitions (undefined for other references). */
  async function twinImages(defs: Json[]): Promise<(EcrImage | undefined)[]> {
    return Promise.all(
      defs.map(async (c) => {
        if (!images.parse(c.image)) return undefined;
        const r = await images.resolve(c.image);
        if (!r) throw new TaskStartFailure(imageNotFound(c.image));
        return r;
      }),
    );
  }

  return {
    async resolveTask(task, td) {
      const defs = td.containerDefinitions as Json[];
      const ecr = defs.find((c) => images.parse(c.image));
      if (!ecr) return defs.map((c) => ({ ref: c.image }));
      const who = await identity(task, td, ecr.image);
      const resolved = await twinImages(defs);
      const baseUrl = deps.baseUrl();
      if (!baseUrl) throw new Error("the twin's registry address is not known yet");
      const accessKeyId = who.accessKeyId;
      if (!accessKeyId) throw new TaskStartFailure(noRegistryCredentials(ecr.image));
      return defs.map((c, i): ResolvedImage => {
        const r = resolved[i];
        if (!r) return { ref: c.image };
        const sessionToken = who.principal?.sessionToken;
        const access = images.pullAccess(r, {
          baseUrl,
          accessKeyId,
          // the session's token seals it: the registry opens it whatever the twin's cache holds
          ...(sessionToken !== undefined ? { sessionToken } : {}),
        });
        return {
          ref: access.image,
          auth: { username: access.username, password: access.password, serveraddress: access.registry },
          insecure: true,
        };
      });
    },

    async simulateTask(task, td, opts): Promise<SimulatedPull> {
      const defs = td.containerDefinitions as Json[];
      const ecr = defs.find((c) => images.parse(c.image));
      if (!ecr) return { digests: defs.map(() => undefined) };
      try {
        const who = opts.pulled ? undefined : await identity(task, td, ecr.image);
        const resolved = await twinImages(defs);
        // The registry's checks for an engine pull (manifest, then layers), repository policy included.
        for (const [i, r] of resolved.entries()) {
          if (!r || !who?.principal) continue;
          const arn = r.repository.arn;
          for (const action of PULL_ACTIONS) {
            const denied = denial(who.principal, action, [
              {
                action: `ecr:${action}`,
                resource: arn,
                resourceAccount: r.repository.accountId,
                ...(r.repository.policy
                  ? { resourcePolicy: { id: arn, document: r.repository.policy } }
                  : {}),
              },
            ]);
            if (denied) return { failure: pullAccessDenied(defs[i]!.image, denied), digests: [] };
          }
        }
        return { digests: resolved.map((r) => r?.digest) };
      } catch (err) {
        if (!(err instanceof TaskStartFailure)) throw err;
        // an image may be pushed a moment later: only "not found" is worth asking again
        return { failure: err.message, digests: [], retry: / not found$/.test(err.message) };
      }
    },
  };
}

/** The task's execution role: RunTask's override, else the definition's; a bare name is a role of this account. */
export function executionRoleArn(task: TaskRecord, td: Json, accountId: string): string | undefined {
  const value = (task.overrides?.executionRoleArn ?? td.executionRoleArn) as string | undefined;
  if (!value) return undefined;
  return value.startsWith("arn:") ? value : `arn:aws:iam::${accountId}:role/${value}`;
}
