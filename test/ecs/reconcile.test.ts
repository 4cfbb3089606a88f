// Table tests for the pure scheduler decision: deployment bounds, circuit breaker, events, drained deployments.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceRecord, TaskRecord } from "../../src/ecs/model.ts";
import {
  circuitBreakerThreshold,
  defaultReconcileConfig,
  newDeployment,
  type ReconcileConfig,
  reconcile,
} from "../../src/ecs/reconcile.ts";

const TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
const TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";
const config: ReconcileConfig = { ...defaultReconcileConfig, noHealthCheckSettleSeconds: 0 };

function counterIds() {
  let n = 0;
  return {
    uuid: () => `uuid-${++n}`,
    taskId: () => (++n).toString(16).padStart(32, "0"),
    deploymentId: () => `ecs-svc/9${String(++n).padStart(18, "0")}`,
  };
}

function service(desired: number, min = 100, max = 200, breaker = false): ServiceRecord {
  const d = newDeployment(
    { taskDefinition: TD1 },
    { desiredCount: desired },
    0,
    "ecs-svc/1000000000000000001",
  );
  return {
    serviceArn: "arn:aws:ecs:us-east-1:123456789012:service/c/web",
    serviceName: "web",
    clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/c",
    status: "ACTIVE",
    desiredCount: desired,
    runningCount: 0,
    pendingCount: 0,
    taskDefinition: TD1,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: breaker, rollback: breaker },
      maximumPercent: max,
      minimumHealthyPercent: min,
    },
    deployments: [d],
    events: [],
    createdAt: 0,
    createdBy: "arn:aws:iam::123456789012:user/admin",
    healthCheckGracePeriodSeconds: 0,
    steadySince: 0,
    dedup: {},
    extra: {},
  };
}

function task(id: string, deploymentId: string, td: string, now: number): TaskRecord {
  return {
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/c/${id}`,
    taskId: id,
    clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/c",
    taskDefinitionArn: td,
    startedBy: deploymentId,
    group: "service:web",
    launchType: "FARGATE",
    lastStatus: "PROVISIONING",
    desiredStatus: "RUNNING",
    healthStatus: "UNKNOWN",
    createdAt: now,
    version: 1,
    containers: [
      {
        containerArn: "x",
        name: "app",
        image: "img",
        lastStatus: "PENDING",
        networkBindings: [],
        networkInterfaces: [],
        healthStatus: "UNKNOWN",
        essential: true,
        hasHealthCheck: false,
      },
    ],
    networkMode: "awsvpc",
    attachments: [],
    overrides: {},
    tags: [],
  };
}

/** A tiny world: applies actions, then (next tick) runs launched tasks and finishes stops. */
class World {
  svc: ServiceRecord;
  tasks: TaskRecord[] = [];
  now = 0;
  ids = counterIds();
  crashTd: string | undefined;
  history: { inflight: number; healthy: number }[] = [];
  constructor(svc: ServiceRecord) {
    this.svc = svc;
  }
  tick(): void {
    this.now += 1000;
    // the runtime moves: stopping tasks stop, new tasks run (or crash)
    for (const t of this.tasks) {
      if (t.desiredStatus === "STOPPED" && t.lastStatus !== "STOPPED") t.lastStatus = "STOPPED";
      else if (t.lastStatus === "PROVISIONING") {
        if (t.taskDefinitionArn === this.crashTd) {
          t.desiredStatus = "STOPPED";
          t.lastStatus = "STOPPED";
          t.stopCode = "TaskFailedToStart";
          t.stoppedReason = "CannotStartContainerError: boom";
        } else {
          t.lastStatus = "RUNNING";
          t.startedAt = this.now;
        }
      }
    }
    const a = reconcile(
      this.svc,
      this.tasks.filter((t) => t.group === "service:web"),
      this.now,
      config,
      this.ids,
    );
    this.svc = a.service;
    for (const p of a.taskPatches) Object.assign(this.tasks.find((t) => t.taskArn === p.taskArn)!, p);
    for (const s of a.stop) {
      const t = this.tasks.find((x) => x.taskArn === s.taskArn)!;
      t.desiredStatus = "STOPPED";
      t.stopCode = s.stopCode;
      t.stoppedReason = s.reason;
    }
    for (const l of a.launch) this.tasks.push(task(l.taskId, l.deploymentId, l.taskDefinition, this.now));
    const live = this.tasks.filter((t) => t.lastStatus !== "STOPPED");
    this.history.push({
      inflight: live.length,
      healthy: live.filter((t) => t.desiredStatus === "RUNNING" && t.lastStatus === "RUNNING").length,
    });
  }
  update(td: string): void {
    const old = this.svc.deployments[0]!;
    old.status = "ACTIVE";
    this.svc.deployments.unshift(
      newDeployment({ taskDefinition: td }, this.svc, this.now, this.ids.deploymentId()),
    );
    this.svc.taskDefinition = td;
  }
  running(td: string): number {
    return this.tasks.filter((t) => t.lastStatus === "RUNNING" && t.taskDefinitionArn === td).length;
  }
  stable(): boolean {
    return this.svc.deployments.length === 1 && this.svc.runningCount === this.svc.desiredCount;
  }
  until(pred: () => boolean, max = 50): void {
    for (let i = 0; i < max; i++) {
      this.tick();
      if (pred()) return;
    }
    assert.fail(`not reached in ${max} ticks; events: ${this.svc.events.map((e) => e.message).join(" | ")}`);
  }
}

describe("reconcile: rolling deployment within the bounds", () => {
  const cases: { desired: number; min: number; max: number }[] = [
    { desired: 4, min: 100, max: 200 },
    { desired: 4, min: 50, max: 200 },
    { desired: 2, min: 50, max: 100 },
    { desired: 6, min: 100, max: 133 },
    { desired: 3, min: 0, max: 100 },
    { desired: 1, min: 100, max: 200 },
  ];
  for (const c of cases) {
    it(`desired ${c.desired}, min ${c.min}%, max ${c.max}%`, () => {
      const w = new World(service(c.desired, c.min, c.max));
      w.until(() => w.stable() && w.svc.deployments[0]!.rolloutState === "COMPLETED");
      w.history = [];
      w.update(TD2);
      w.until(() => w.stable() && w.running(TD2) === c.desired);
      assert.equal(w.running(TD1), 0);
      const minH = Math.ceil((c.desired * c.min) / 100);
      const maxT = Math.floor((c.desired * c.max) / 100);
      for (const h of w.history) {
        assert.ok(h.inflight <= maxT, `inflight ${h.inflight} > max ${maxT}`);
        assert.ok(h.healthy >= minH, `healthy ${h.healthy} < min ${minH}`);
      }
      const P = w.svc.deployments[0]!;
      assert.equal(P.rolloutState, "COMPLETED");
      assert.equal(P.rolloutStateReason, `ECS deployment ${P.id} completed.`);
      assert.equal(w.svc.events[0]!.message, "(service web) has reached a steady state.");
      assert.equal(w.svc.events[1]!.message, `(service web) (deployment ${P.id}) deployment completed.`);
      assert.equal(w.svc.events[0]!.createdAt, w.svc.events[1]!.createdAt);
    });
  }

  it("desired 2, min 100, max 100 cannot move and says so", () => {
    const w = new World(service(2, 100, 100));
    w.until(() => w.stable() && w.svc.deployments[0]!.rolloutState === "COMPLETED");
    w.update(TD2);
    w.tick();
    w.tick();
    const stalls = w.svc.events.filter((e) => e.message.includes("was unable to stop or start tasks"));
    assert.equal(stalls.length, 1, "the stall event is said once (deduplicated)");
    assert.equal(w.svc.deployments.length, 2);
  });

  it("names started and stopped tasks in ECS's words", () => {
    const w = new World(service(2, 100, 200));
    w.tick();
    assert.match(
      w.svc.events[0]!.message,
      /^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/,
    );
    w.until(() => w.stable());
    w.svc.desiredCount = 1;
    w.tick();
    assert.match(
      w.svc.events[0]!.message,
      /^\(service web\) has stopped 1 running tasks: \(task [0-9a-f]{32}\)\.$/,
    );
    const stopped = w.tasks.find((t) => t.desiredStatus === "STOPPED")!;
    assert.equal(stopped.stopCode, "ServiceSchedulerInitiated");
    assert.equal(
      stopped.stoppedReason,
      `Scaling activity initiated by (deployment ${w.svc.deployments[0]!.id})`,
    );
  });

  it("replaces a task that stopped on its own", () => {
    const w = new World(service(2));
    w.until(() => w.stable());
    const t = w.tasks.find((x) => x.lastStatus === "RUNNING")!;
    t.desiredStatus = "STOPPED";
    t.lastStatus = "STOPPED";
    t.stopCode = "EssentialContainerExited";
    w.tick();
    assert.equal(w.tasks.filter((x) => x.desiredStatus === "RUNNING").length, 2);
  });

  it("keeps at most 100 events, newest first", () => {
    const w = new World(service(1));
    for (let i = 0; i < 80; i++) {
      w.svc.desiredCount = i % 2 === 0 ? 2 : 1;
      w.tick();
      w.tick();
    }
    assert.equal(w.svc.events.length, 100);
    for (let i = 1; i < w.svc.events.length; i++) {
      assert.ok(w.svc.events[i - 1]!.createdAt >= w.svc.events[i]!.createdAt);
    }
  });
});

describe("reconcile: circuit breaker", () => {
  it("threshold = min(200, max(3, ceil(desired/2)))", () => {
    assert.equal(circuitBreakerThreshold(1, 3), 3);
    assert.equal(circuitBreakerThreshold(25, 3), 13);
    assert.equal(circuitBreakerThreshold(400, 3), 200);
    assert.equal(circuitBreakerThreshold(1, 10), 10);
  });

  it("fails the deployment and rolls back to the last completed one", () => {
    const w = new World(service(2, 100, 200, true));
    w.until(() => w.stable() && w.svc.deployments[0]!.rolloutState === "COMPLETED");
    const good = w.svc.deployments[0]!.id;
    w.crashTd = TD2;
    w.update(TD2);
    const bad = w.svc.deployments[0]!.id;
    w.until(() => w.svc.deployments[0]!.id !== bad);
    const rollback = w.svc.deployments[0]!;
    assert.equal(rollback.taskDefinition, TD1);
    assert.equal(
      rollback.rolloutStateReason,
      `ECS deployment circuit breaker: rolling back to deploymentId ${good}.`,
    );
    const failed = w.svc.deployments.find((d) => d.id === bad);
    if (failed) {
      assert.equal(failed.rolloutState, "FAILED");
      assert.equal(failed.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
      assert.equal(failed.failedTasks, 3);
    }
    const messages = w.svc.events.map((e) => e.message);
    assert.ok(
      messages.includes(`(service web) (deployment ${bad}) deployment failed: tasks failed to start.`),
    );
    assert.ok(messages.includes(`(service web) (deployment ${bad}) rolling back to deployment ${good}.`));
    assert.equal(w.svc.taskDefinition, TD1);
    w.until(() => w.stable() && w.svc.deployments[0]!.rolloutState === "COMPLETED");
    assert.equal(w.running(TD1), 2);
    assert.equal(w.svc.events[0]!.message, "(service web) has reached a steady state.");
  });

  it("without rollback the failed deployment stays PRIMARY and the old tasks keep running", () => {
    const svc = service(2, 100, 200, true);
    svc.deploymentConfiguration.deploymentCircuitBreaker.rollback = false;
    const w = new World(svc);
    w.until(() => w.stable() && w.svc.deployments[0]!.rolloutState === "COMPLETED");
    w.crashTd = TD2;
    w.update(TD2);
    w.until(() => w.svc.deployments[0]!.rolloutState === "FAILED");
    for (let i = 0; i < 5; i++) w.tick();
    assert.equal(w.svc.deployments.length, 2);
    assert.equal(w.running(TD1), 2);
    assert.equal(
      w.tasks.filter((t) => t.taskDefinitionArn === TD2 && t.desiredStatus === "RUNNING").length,
      0,
    );
  });

  it("a draining service stops everything and goes INACTIVE", () => {
    const w = new World(service(2));
    w.until(() => w.stable());
    w.svc.status = "DRAINING";
    w.svc.desiredCount = 0;
    w.until(() => w.svc.status === "INACTIVE");
    w.tick();
    assert.equal(w.tasks.filter((t) => t.lastStatus !== "STOPPED").length, 0);
  });
});
