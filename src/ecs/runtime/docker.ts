// The Docker Engine API runtime (Docker, or `podman system service`): pulls from the twin's registry with an
// ECR token, creates and starts one container per container definition, maps ECS settings to Docker's
// (specs/ecs.md §8.1), reads state and health back, stops with stopTimeout then SIGKILL, keeps logs per
// task. Containers carry ECS's labels, so a restarted twin adopts its live tasks and removes the rest.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ContainerProgress,
  DEPENDENCY_FAILED_EXIT_CODE,
  dependencyOrder,
  readiness,
} from "../container-order.ts";
import type { HealthStatus, Json, TaskRecord } from "../model.ts";
import { cannotPull, pullAccessDenied, TaskStartFailure } from "../pull-reasons.ts";
import { DockerApi, DockerError, demuxLogs } from "./docker-api.ts";
import type {
  ContainerObservation,
  EcsImageSource,
  LaunchSpec,
  ResolvedImage,
  TaskObservation,
  TaskRuntime,
} from "./runtime.ts";

export interface DockerRuntimeOptions {
  socketPath: string;
  images?: EcsImageSource;
  /** where logs of stopped tasks are kept: <logDir>/<taskId>/<container>.log */
  logDir: string;
  /** this state's id: containers carry it, and a restart removes only its own strays, never another twin's */
  owner: string;
  defaultStopTimeoutSeconds?: number;
  log: (line: string) => void;
}

const API = "/v1.41";
const LABEL_TASK = "com.amazonaws.ecs.task-arn";
const LABEL_OWNER = "dev.keyship.ecs";

interface Launching {
  phase: "PULLING" | "STARTING";
  pullStartedAt: number;
  pullStoppedAt?: number;
  done: Promise<void>;
}

interface HealthState {
  status: HealthStatus;
  failures: number;
  nextAt: number;
  inFlight: boolean;
}

interface ContainerInfo {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> };
  Image: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt?: string;
    Health?: { Status: string };
  };
  NetworkSettings: {
    IPAddress?: string;
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
    Networks?: Record<string, { IPAddress?: string }>;
  };
}

export function createDockerRuntime(options: DockerRuntimeOptions): TaskRuntime {
  const api = new DockerApi(options.socketPath);
  const launching = new Map<string, Launching>();
  const failures = new Map<string, string>();
  const stopping = new Set<string>();
  /** per task: containers that gave up on their dependencies (container-order.ts), with the reason */
  const dependencyFailures = new Map<string, Map<string, string>>();
  /** containers whose start (held back by dependsOn) is under way */
  const starting = new Set<string>();
  let podman: boolean | undefined;
  const health = new Map<string, HealthState>();

  /** Runs the container definition's health check with exec when it is due (interval, timeout, retries, startPeriod). */
  const checkHealth = (info: ContainerInfo, hc: Json, now: number): HealthStatus => {
    let h = health.get(info.Id);
    const started = info.State.StartedAt ? Date.parse(info.State.StartedAt) : now;
    if (!h) {
      h = { status: "UNKNOWN", failures: 0, nextAt: now, inFlight: false };
      health.set(info.Id, h);
    }
    if (!h.inFlight && now >= h.nextAt) {
      h.inFlight = true;
      const state = h;
      const cmd: string[] =
        hc.command[0] === "CMD-SHELL"
          ? ["/bin/sh", "-c", hc.command.slice(1).join(" ")]
          : hc.command[0] === "CMD"
            ? hc.command.slice(1)
            : hc.command;
      void execExitCode(info.Id, cmd, (hc.timeout ?? 5) * 1000)
        // the container may stop between inspect and exec ("container state improper"): a failed check
        .catch(() => -1)
        .then((code) => {
          if (code === 0) {
            state.status = "HEALTHY";
            state.failures = 0;
          } else if (Date.now() - started >= (hc.startPeriod ?? 0) * 1000) {
            state.failures += 1;
            if (state.failures >= (hc.retries ?? 3)) state.status = "UNHEALTHY";
          }
        })
        .finally(() => {
          state.inFlight = false;
          state.nextAt = Date.now() + (hc.interval ?? 30) * 1000;
        });
    }
    return h.status;
  };

  const execExitCode = async (id: string, cmd: string[], timeoutMs: number): Promise<number> => {
    const exec = await api.json<{ Id: string }>("POST", `${API}/containers/${id}/exec`, {
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
    });
    const r = await api
      .call("POST", `${API}/exec/${exec.Id}/start`, { Detach: false, Tty: false }, {}, timeoutMs)
      .catch(() => undefined);
    if (!r) return -1;
    const info = await api.json<{ ExitCode: number | null; Running: boolean }>(
      "GET",
      `${API}/exec/${exec.Id}/json`,
    );
    return info.Running ? -1 : (info.ExitCode ?? -1);
  };

  const isPodman = async () => {
    if (podman === undefined) {
      const v = await api
        .json<{ Components?: { Name: string }[] }>("GET", `${API}/version`)
        .catch(() => undefined);
      podman = v?.Components?.some((c) => c.Name.toLowerCase().includes("podman")) ?? false;
    }
    return podman;
  };

  const containersOf = async (taskArn: string): Promise<ContainerInfo[]> => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL_TASK}=${taskArn}`] }));
    const list = await api.json<{ Id: string }[]>("GET", `${API}/containers/json?all=1&filters=${filters}`);
    const out: ContainerInfo[] = [];
    for (const c of list) {
      try {
        out.push(await api.json<ContainerInfo>("GET", `${API}/containers/${c.Id}/json`));
      } catch (e) {
        if (!(e instanceof DockerError && e.status === 404)) throw e;
      }
    }
    return out;
  };

  const pull = async (resolved: ResolvedImage): Promise<{ ref: string }> => {
    const headers: Record<string, string> = {};
    if (resolved.auth)
      // base64url *with* padding: podman's decoder fails on unpadded input ("unexpected EOF")
      headers["X-Registry-Auth"] = Buffer.from(JSON.stringify(resolved.auth))
        .toString("base64")
        .replace(/\+/g, "-")
        .replace(/\//g, "_");
    let r: { status: number; body: Buffer };
    if (await isPodman()) {
      // libpod's pull takes tlsVerify, which the twin's plain-HTTP registry needs
      // images outside the twin's registry may be local-only (podman build): pull only when missing
      const policy = resolved.auth ? "always" : "missing";
      const q = `reference=${encodeURIComponent(resolved.ref)}&tlsVerify=${resolved.insecure ? "false" : "true"}&policy=${policy}`;
      r = await api.call("POST", `/v4.0.0/libpod/images/pull?${q}`, undefined, headers);
    } else {
      const at = resolved.ref.lastIndexOf(":");
      const slash = resolved.ref.lastIndexOf("/");
      const hasTag = at > slash && !resolved.ref.includes("@");
      const from = hasTag ? resolved.ref.slice(0, at) : resolved.ref;
      const tag = hasTag ? resolved.ref.slice(at + 1) : resolved.ref.includes("@") ? "" : "latest";
      r = await api.call(
        "POST",
        `${API}/images/create?fromImage=${encodeURIComponent(from)}${tag ? `&tag=${encodeURIComponent(tag)}` : ""}`,
        undefined,
        headers,
      );
    }
    const text = r.body.toString("utf8");
    if (r.status >= 300) throw new Error(errorOf(text));
    // progress is a stream of JSON objects; an error can arrive with status 200
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const j = JSON.parse(line);
        if (j.error || j.errorDetail) throw new Error(j.error ?? j.errorDetail?.message);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
    }
    return { ref: resolved.ref };
  };

  const createSpec = (spec: LaunchSpec, c: Json, ref: string, netOwner: string | undefined): Json => {
    const td = spec.taskDefinition;
    const task = spec.task;
    const override =
      ((task.overrides.containerOverrides ?? []) as Json[]).find((o) => o.name === c.name) ?? {};
    const envMap = new Map<string, string>();
    for (const e of [...(c.environment ?? []), ...(override.environment ?? [])] as Json[])
      envMap.set(e.name, e.value);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of (c.portMappings ?? []) as Json[]) {
      const key = `${p.containerPort}/${p.protocol ?? "tcp"}`;
      exposed[key] = {};
      // awsvpc gives each task its own address on Fargate; on one host a fixed host port would collide
      // between tasks, so publish on an ephemeral port unless bridge mode named one
      const hostPort = td.networkMode === "bridge" && p.hostPort ? String(p.hostPort) : "";
      bindings[key] = [{ HostIp: "127.0.0.1", HostPort: hostPort }];
    }
    // the image's HEALTHCHECK is ignored (ECS counts only the task definition's); the runtime runs the
    // definition's check itself through exec, which works without systemd timers under podman
    const healthcheck = { Test: ["NONE"] };
    const family = td.family as string;
    const labels: Record<string, string> = {
      ...(c.dockerLabels ?? {}),
      [LABEL_OWNER]: options.owner,
      "com.amazonaws.ecs.cluster": spec.clusterName,
      [LABEL_TASK]: task.taskArn,
      "com.amazonaws.ecs.container-name": c.name,
      "com.amazonaws.ecs.task-definition-family": family,
      "com.amazonaws.ecs.task-definition-version": String(td.revision),
    };
    const memory = override.memory ?? c.memory;
    const host: Json = {
      PortBindings: netOwner ? {} : bindings,
      Init: c.linuxParameters?.initProcessEnabled ?? false,
      ReadonlyRootfs: c.readonlyRootFilesystem ?? false,
      Privileged: c.privileged ?? false,
    };
    if (memory) host.Memory = memory * 1048576;
    if (c.memoryReservation) host.MemoryReservation = c.memoryReservation * 1048576;
    if (c.cpu) host.CpuShares = Math.max(2, c.cpu);
    if (netOwner) host.NetworkMode = `container:${netOwner}`;
    else if (td.networkMode === "host") host.NetworkMode = "host";
    else if (td.networkMode === "none") host.NetworkMode = "none";
    if (c.ulimits) {
      host.Ulimits = (c.ulimits as Json[]).map((u) => ({
        Name: u.name,
        Soft: u.softLimit,
        Hard: u.hardLimit,
      }));
    }
    const body: Json = {
      Image: ref,
      Env: [...envMap].map(([k, v]) => `${k}=${v}`),
      Labels: labels,
      ExposedPorts: netOwner ? {} : exposed,
      HostConfig: host,
      Healthcheck: healthcheck,
      StopTimeout: c.stopTimeout ?? options.defaultStopTimeoutSeconds ?? 30,
    };
    const command = override.command ?? c.command;
    if (command) body.Cmd = command;
    if (c.entryPoint) body.Entrypoint = c.entryPoint;
    if (c.workingDirectory) body.WorkingDir = c.workingDirectory;
    if (c.user) body.User = c.user;
    if (c.hostname && !netOwner) body.Hostname = c.hostname;
    return body;
  };

  const doLaunch = async (spec: LaunchSpec, state: Launching): Promise<void> => {
    const task = spec.task;
    const defs = spec.taskDefinition.containerDefinitions as Json[];
    const refs: string[] = [];
    // the task's execution role pulls its ECR images (task-images.ts); a TaskStartFailure is the whole reason
    const resolved: ResolvedImage[] = options.images
      ? await options.images.resolveTask(task, spec.taskDefinition).catch((e: Error) => {
          throw e instanceof TaskStartFailure
            ? e
            : new TaskStartFailure(`CannotPullContainerError: ${e.message}`);
        })
      : defs.map((c) => ({ ref: c.image }));
    for (const [i, c] of defs.entries()) {
      try {
        refs.push((await pull(resolved[i] ?? { ref: c.image })).ref);
      } catch (e) {
        throw new TaskStartFailure(pullFailure(c.image, (e as Error).message));
      }
    }
    state.pullStoppedAt = Date.now();
    state.phase = "STARTING";
    const existing = await containersOf(task.taskArn);
    let netOwner: string | undefined;
    // the network owner first: the others join its namespace (awsvpc)
    const owner = networkOwner(defs);
    for (const c of defs.filter((d) => d === owner).concat(defs.filter((d) => d !== owner))) {
      const i = defs.indexOf(c);
      let info = existing.find((x) => x.Config.Labels["com.amazonaws.ecs.container-name"] === c.name);
      if (!info) {
        const name = `ecs-${spec.clusterName}-${task.taskId.slice(0, 12)}-${c.name}`.replace(
          /[^a-zA-Z0-9_.-]/g,
          "-",
        );
        const body = createSpec(
          spec,
          c,
          refs[i]!,
          spec.taskDefinition.networkMode === "awsvpc" ? netOwner : undefined,
        );
        let created: { Id: string };
        try {
          created = await api.json<{ Id: string }>(
            "POST",
            `${API}/containers/create?name=${encodeURIComponent(name)}`,
            body,
          );
        } catch (e) {
          throw new Error(`CannotCreateContainerError: ${(e as Error).message}`);
        }
        info = await api.json<ContainerInfo>("GET", `${API}/containers/${created.Id}/json`);
      }
      if (c === owner) netOwner = info.Id;
      // a container with dependencies waits, created, until an observation finds them met (resolveDependencies)
      if (!info.State.Running && info.State.Status === "created" && !c.dependsOn?.length) {
        const r = await api.call("POST", `${API}/containers/${info.Id}/start`);
        if (r.status >= 300 && r.status !== 304) {
          throw new Error(`CannotStartContainerError: ${errorOf(r.body.toString("utf8"))}`);
        }
      }
    }
  };

  /** Starts a created container whose dependencies are met, in the background (once at a time). */
  const startHeldBack = (task: TaskRecord, info: ContainerInfo) => {
    if (starting.has(info.Id)) return;
    starting.add(info.Id);
    void api
      .call("POST", `${API}/containers/${info.Id}/start`)
      .then((r) => {
        if (r.status >= 300 && r.status !== 304) throw new Error(errorOf(r.body.toString("utf8")));
      })
      .catch((e) => failures.set(task.taskArn, `CannotStartContainerError: ${(e as Error).message}`))
      .finally(() => starting.delete(info.Id));
  };

  /**
   * The dependency step of a task still starting: each created container whose dependencies now hold is
   * started, and one whose dependencies never can gives up (an essential one fails the task, as the agent's
   * stop of it ends the task: container-order.ts). Returns the containers still waiting.
   */
  const resolveDependencies = (
    task: TaskRecord,
    defs: Json[],
    byName: Map<string | undefined, ContainerInfo>,
    observed: Map<string, ContainerObservation>,
    now: number,
  ): Set<string> => {
    const waiting = new Set<string>();
    let failed = dependencyFailures.get(task.taskArn);
    const progressOf = (name: string): ContainerProgress | undefined => {
      const reason = failed?.get(name);
      if (reason !== undefined)
        return { status: "STOPPED", exitCode: DEPENDENCY_FAILED_EXIT_CODE, healthStatus: "UNKNOWN" };
      const info = byName.get(name);
      const o = observed.get(name);
      if (!info || !o) return undefined;
      const started = info.State.StartedAt ? Date.parse(info.State.StartedAt) : Number.NaN;
      const p: ContainerProgress = { status: o.status, healthStatus: o.healthStatus };
      // engines report a never-started container's StartedAt as the zero time (0001-01-01)
      if (o.status !== "PENDING" && started > 0) p.startedAt = started;
      if (o.exitCode !== undefined) p.exitCode = o.exitCode;
      return p;
    };
    for (const c of dependencyOrder(defs)) {
      const info = byName.get(c.name);
      if (!info || observed.get(c.name)?.status !== "PENDING" || failed?.has(c.name)) continue;
      // nothing more starts in a task that is stopping
      if (task.desiredStatus !== "RUNNING") continue;
      const r = readiness(c, defs, progressOf, now);
      if (r.kind === "fail") {
        if (!failed) {
          failed = new Map();
          dependencyFailures.set(task.taskArn, failed);
        }
        failed.set(c.name, r.reason);
        if (c.essential !== false) failures.set(task.taskArn, r.reason);
        continue;
      }
      if (r.kind === "start") startHeldBack(task, info);
      waiting.add(c.name);
    }
    return waiting;
  };

  const saveLogs = async (task: TaskRecord, containers: ContainerInfo[]) => {
    const dir = join(options.logDir, task.taskId);
    mkdirSync(dir, { recursive: true });
    for (const c of containers) {
      const r = await api
        .call("GET", `${API}/containers/${c.Id}/logs?stdout=1&stderr=1`)
        .catch(() => undefined);
      if (!r || r.status >= 300) continue;
      const name = c.Config.Labels["com.amazonaws.ecs.container-name"] ?? c.Id;
      writeFileSync(join(dir, `${name}.log`), demuxLogs(r.body));
    }
  };

  return {
    name: "docker",
    launch(spec) {
      const arn = spec.task.taskArn;
      if (launching.has(arn) || failures.has(arn)) return;
      const state: Launching = { phase: "PULLING", pullStartedAt: Date.now(), done: Promise.resolve() };
      state.done = doLaunch(spec, state)
        .catch((e) => {
          failures.set(arn, (e as Error).message);
          options.log(`ecs: task ${spec.task.taskId} failed to start: ${(e as Error).message}`);
        })
        .finally(() => launching.delete(arn));
      launching.set(arn, state);
    },

    async observe(task, td): Promise<TaskObservation> {
      const failure = failures.get(task.taskArn);
      const l = launching.get(task.taskArn);
      if (l) {
        const o: TaskObservation = { phase: l.phase, pullStartedAt: l.pullStartedAt, containers: [] };
        if (l.pullStoppedAt !== undefined) o.pullStoppedAt = l.pullStoppedAt;
        return o;
      }
      const infos = await containersOf(task.taskArn);
      const gaveUp = dependencyFailures.get(task.taskArn);
      const withGaveUp = (o: ContainerObservation): ContainerObservation => {
        const reason = gaveUp?.get(o.name);
        if (reason === undefined) return o;
        return {
          ...o,
          status: "STOPPED",
          exitCode: DEPENDENCY_FAILED_EXIT_CODE,
          reason,
          healthStatus: "UNKNOWN",
        };
      };
      if (failure) {
        const containers: ContainerObservation[] = infos.map((i) => withGaveUp(observeContainer(i)));
        for (const c of task.containers) {
          if (!containers.some((x) => x.name === c.name)) {
            containers.push({ name: c.name, status: "STOPPED", healthStatus: "UNKNOWN", reason: failure });
          }
        }
        if (infos.some((i) => containerStatus(i) === "RUNNING")) {
          if (!stopping.has(task.taskArn)) this.stop(task, td);
          // a task that failed to start never ran: it stays ACTIVATING until its containers are down
          return { phase: task.lastStatus === "RUNNING" ? "RUNNING" : "STARTING", failure, containers };
        }
        return { phase: "STOPPED", failure, containers };
      }
      const defs = td.containerDefinitions as Json[];
      const byName = new Map(infos.map((i) => [i.Config.Labels["com.amazonaws.ecs.container-name"], i]));
      // a created container with dependencies is waiting for them, not a launch cut short
      const missing = defs.some((c) => {
        const i = byName.get(c.name);
        return !i || (i.State.Status === "created" && !c.dependsOn?.length);
      });
      if (
        infos.length === 0 ||
        (missing && task.desiredStatus === "RUNNING" && task.lastStatus !== "RUNNING")
      ) {
        return { phase: "ABSENT", containers: [] };
      }
      const now = Date.now();
      const observed = new Map<string, ContainerObservation>();
      for (const i of infos) {
        const o = observeContainer(i);
        const hc = defs.find((c) => c.name === o.name)?.healthCheck as Json | undefined;
        if (hc && o.status === "RUNNING") o.healthStatus = checkHealth(i, hc, now);
        observed.set(o.name, o);
      }
      const waiting = resolveDependencies(task, defs, byName, observed, now);
      if (failures.has(task.taskArn)) return this.observe(task, td, now);
      const containers = [...observed.values()].map(withGaveUp);
      const running = containers.some((c) => c.status === "RUNNING");
      const owner = byName.get((networkOwner(defs) ?? defs[0])?.name);
      const ip = owner ? ipOf(owner) : undefined;
      // the task runs once every container that can start has started: the last start is its own
      let startedAt: number | undefined;
      for (const i of infos) {
        const at = i.State.StartedAt ? Date.parse(i.State.StartedAt) : Number.NaN;
        if (
          observed.get(i.Config.Labels["com.amazonaws.ecs.container-name"] ?? "")?.status !== "PENDING" &&
          at > 0
        )
          startedAt = Math.max(startedAt ?? 0, at);
      }
      const o: TaskObservation = {
        phase: waiting.size > 0 ? "STARTING" : running ? "RUNNING" : "STOPPED",
        containers,
      };
      if (ip) o.privateIp = ip;
      if (startedAt && waiting.size === 0) o.startedAt = startedAt;
      return o;
    },

    stop(task, td) {
      if (stopping.has(task.taskArn)) return;
      stopping.add(task.taskArn);
      const wait = launching.get(task.taskArn)?.done ?? Promise.resolve();
      void wait
        .then(async () => {
          const infos = await containersOf(task.taskArn);
          const defs = td.containerDefinitions as Json[];
          // dependents before their dependencies ("for container shutdown it is reversed"), and the network
          // owner last
          const order = dependencyOrder(defs).reverse();
          const owner = networkOwner(defs);
          if (td.networkMode === "awsvpc" && owner) order.push(...order.splice(order.indexOf(owner), 1));
          const rank = (i: ContainerInfo) =>
            order.findIndex((c) => c.name === i.Config.Labels["com.amazonaws.ecs.container-name"]);
          for (const info of infos.sort((a, b) => rank(a) - rank(b))) {
            if (!info.State.Running) continue;
            const name = info.Config.Labels["com.amazonaws.ecs.container-name"];
            const def = defs.find((c) => c.name === name);
            const t = def?.stopTimeout ?? options.defaultStopTimeoutSeconds ?? 30;
            await api.call(
              "POST",
              `${API}/containers/${info.Id}/stop?t=${t}`,
              undefined,
              {},
              (t + 30) * 1000,
            );
          }
        })
        .catch((e) => options.log(`ecs: stopping ${task.taskId} failed: ${(e as Error).message}`))
        .finally(() => stopping.delete(task.taskArn));
    },

    async release(task) {
      const infos = await containersOf(task.taskArn);
      await saveLogs(task, infos);
      for (const info of infos) {
        health.delete(info.Id);
        await api.call("DELETE", `${API}/containers/${info.Id}?force=1&v=1`);
      }
      failures.delete(task.taskArn);
      dependencyFailures.delete(task.taskArn);
    },

    async adopt(live) {
      const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL_OWNER}=${options.owner}`] }));
      const list = await api.json<{ Id: string; Labels: Record<string, string> }[]>(
        "GET",
        `${API}/containers/json?all=1&filters=${filters}`,
      );
      for (const c of list) {
        const arn = c.Labels[LABEL_TASK];
        if (arn && live.has(arn)) continue;
        await api.call("DELETE", `${API}/containers/${c.Id}?force=1&v=1`);
      }
    },

    async logs(task, container) {
      const mine = (name: string | undefined) => container === undefined || name === container;
      const infos = (await containersOf(task.taskArn).catch(() => [])).filter((i) =>
        mine(i.Config.Labels["com.amazonaws.ecs.container-name"]),
      );
      let out = "";
      if (infos.length > 0) {
        for (const info of infos) {
          const r = await api.call("GET", `${API}/containers/${info.Id}/logs?stdout=1&stderr=1`);
          if (r.status < 300) out += demuxLogs(r.body);
        }
        return out;
      }
      const dir = join(options.logDir, task.taskId);
      try {
        for (const f of readdirSync(dir).sort()) {
          if (mine(f.replace(/\.log$/, ""))) out += readFileSync(join(dir, f), "utf8");
        }
      } catch {
        // no logs kept
      }
      return out;
    },

    async close() {
      await Promise.all([...launching.values()].map((l) => l.done));
    },
  };
}

/**
 * ECS's view of an engine's container state. Podman reports `stopping` (Running false, ExitCode 0) for the
 * whole stop grace period: the process is alive and its exit code unknown, so it is still RUNNING until it
 * has exited (else the task would be recorded STOPPED with exit 0 and its container removed, SIGKILLing it
 * before stopTimeout ran out). https://docs.podman.io/en/latest/_static/api.html (ContainerState)
 */
function containerStatus(info: ContainerInfo): ContainerObservation["status"] {
  if (info.State.Running || info.State.Status === "stopping") return "RUNNING";
  return ["created", "configured", "initialized"].includes(info.State.Status) ? "PENDING" : "STOPPED";
}

function observeContainer(info: ContainerInfo): ContainerObservation {
  const name = info.Config.Labels["com.amazonaws.ecs.container-name"] ?? info.Name;
  const status = containerStatus(info);
  const h = info.State.Health?.Status;
  const healthStatus: HealthStatus =
    h === "healthy" ? "HEALTHY" : h === "unhealthy" ? "UNHEALTHY" : "UNKNOWN";
  const networkBindings: Json[] = [];
  for (const [key, binds] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    const [port, protocol] = key.split("/");
    for (const b of binds ?? []) {
      networkBindings.push({
        bindIP: b.HostIp || "0.0.0.0",
        containerPort: Number(port),
        hostPort: Number(b.HostPort),
        protocol: protocol ?? "tcp",
      });
    }
  }
  const o: ContainerObservation = { name, status, healthStatus, runtimeId: info.Id, networkBindings };
  if (status === "STOPPED") o.exitCode = info.State.ExitCode;
  return o;
}

/**
 * The container whose network namespace an awsvpc task's other containers join (the ECS agent uses a pause
 * container; the twin uses one of the task's own): the first essential container without dependencies, as
 * it starts at once and lives as long as the task. Podman starts a namespace's owner whenever a member
 * starts, so a held-back or short-lived owner would break the start order or run again: without such a
 * container (an essential app behind an init container), each container keeps its own network.
 */
function networkOwner(defs: Json[]): Json | undefined {
  return defs.find((c) => !c.dependsOn?.length && c.essential !== false);
}

function ipOf(info: ContainerInfo): string | undefined {
  if (info.NetworkSettings.IPAddress) return info.NetworkSettings.IPAddress;
  for (const n of Object.values(info.NetworkSettings.Networks ?? {})) if (n.IPAddress) return n.IPAddress;
  return undefined;
}

/**
 * The stoppedReason for an engine's pull error. A registry refusal (`denied: <AccessDenied text>` in the
 * engine's words) reads as the simulated runtime's, so both runtimes tell the same story.
 */
function pullFailure(image: string, message: string): string {
  const denied = /\bdenied: (.*)$/s.exec(message);
  if (denied) return pullAccessDenied(image, denied[1]!.trim());
  return cannotPull(image, message);
}

function errorOf(text: string): string {
  try {
    const j = JSON.parse(text);
    return j.message ?? j.error ?? text;
  } catch {
    return text.trim();
  }
}
