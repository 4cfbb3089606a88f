// keyship's own action in `keyship run`: a workflow with `uses: ./` in a checkout holding keyship's action.yml,
// deploying the seed app to an in-process twin with only the job's OIDC token, outputs as action.yml declares
// them; inputs the action does not declare are warned about, as the runner does.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { ensurePrerequisites } from "../../../src/client/demo/prerequisites.ts";
import { applyConfiguration } from "../../../src/client/terraform/apply.ts";
import { keyshipActionMetadata } from "../../../src/client/workflow/actions/keyship-deploy.ts";
import { clientsFor } from "../../../src/client/workflow/aws-target.ts";
import { runWorkflow } from "../../../src/client/workflow/runner.ts";
import { startTwin, type Twin } from "../../../src/main.ts";
import { buildImage, writeOciLayout } from "../image/build-image.ts";

const root = new URL("../../../", import.meta.url).pathname;
const seed = join(root, "examples/seed-scenario");
const REGION = "ap-northeast-1";
const REPO = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/sample-app";

/** `with:` lines of a deploy step: the seed's service and container, and the role by OIDC. */
const target = `          cluster: sample_ecs_cluster
          service: sample_ecs_service
          task-definition: task-definition.json
          container: web
`;
const withRole = `          role-arn: arn:aws:iam::123456789012:role/github-actions-deploy
          region: ${REGION}
`;

describe("keyship's action (uses: ./) in keyship run", () => {
  let twin: Twin;
  let stateDir: string;
  let clients: ReturnType<typeof clientsFor>;
  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "keyship-action-state-"));
    twin = await startTwin({ stateDir, port: 0, region: REGION, log: () => {}, runtime: "simulated" });
    clients = clientsFor(twin.url, REGION, twin.admin);
    for (const part of ["common", "app"])
      await applyConfiguration({
        dir: join(seed, "terraform", part),
        clients,
        region: REGION,
        twinUrl: twin.url,
      });
    await ensurePrerequisites(clients, join(seed, "app/task-definition.json"), `${REPO}:latest`);
  });
  after(() => twin.close());

  async function serviceNow() {
    const out = await clients.ecs.send(
      new DescribeServicesCommand({ cluster: "sample_ecs_cluster", services: ["sample_ecs_service"] }),
    );
    return out.services![0]!;
  }

  /** A repository holding keyship's action.yml at its root, the seed's task definition and an OCI image. */
  async function repoWith(workflow: string, actionYml?: (text: string) => string): Promise<string> {
    const repo = await mkdtemp(join(tmpdir(), "keyship-action-repo-"));
    await mkdir(join(repo, ".github/workflows"), { recursive: true });
    const metadata = await readFile(join(root, "action.yml"), "utf8");
    await writeFile(join(repo, "action.yml"), actionYml ? actionYml(metadata) : metadata);
    await copyFile(join(seed, "app/task-definition.json"), join(repo, "task-definition.json"));
    await writeOciLayout(
      join(repo, "img"),
      buildImage(
        [{ path: "www/index.html", content: "from keyship run\n" }],
        ["/bin/busybox", "httpd", "-f"],
      ),
    );
    const path = join(repo, ".github/workflows/deploy.yml");
    await writeFile(path, workflow);
    return path;
  }

  async function run(workflow: string, actionYml?: (text: string) => string) {
    const lines: string[] = [];
    const events: string[] = [];
    const result = await runWorkflow({
      workflowPath: await repoWith(workflow, actionYml),
      repository: "example-org/sample-app",
      endpoint: twin.url,
      stateDir,
      containerCli: null,
      hostEnv: { PATH: process.env.PATH },
      log: (l) => lines.push(l),
      onEvent: (e) => events.push(e.name),
    });
    return { result, log: lines.join("\n"), events };
  }

  it("deploys with the inputs and defaults of action.yml and sets its outputs", {
    timeout: 120_000,
  }, async () => {
    const { result, log, events } = await run(`
name: keyship
on: push
permissions: { id-token: write, contents: read }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: ship
        uses: ./
        with:
${withRole}${target}          image: ${REPO}
          image-from: oci:img
          aws-region: ${REGION}
      - run: |
          echo "arn=\${{ steps.ship.outputs.task-definition-arn }}"
          echo "deployment=\${{ steps.ship.outputs.deployment-id }}"
          echo "digest=\${{ steps.ship.outputs.image-digest }}"
`);
    assert.equal(result.status, "success", log);
    const outputs = result.jobs[0]!.steps[1]!.outputs;
    assert.deepEqual(Object.keys(outputs).sort(), [...keyshipActionMetadata.outputs].sort());
    assert.match(outputs["task-definition-arn"]!, /:task-definition\/sample-app:2$/);
    assert.match(outputs["deployment-id"]!, /^ecs-svc\//);
    assert.match(outputs["image-digest"]!, /^sha256:[0-9a-f]{64}$/);
    assert.match(log, /arn=arn:aws:ecs:ap-northeast-1:123456789012:task-definition\/sample-app:2/);
    // 'aws-region' is configure-aws-credentials' name, not keyship's: warned about, not used
    assert.match(
      log,
      /warning: Unexpected input\(s\) 'aws-region', valid inputs are \['role-arn', 'region',/,
    );
    assert.match(log, /Assumed arn:aws:sts::123456789012:assumed-role\/github-actions-deploy\//);
    for (const e of ["push", "register", "roll", "stable"]) assert.ok(events.includes(e), `event ${e}`);
    const svc = await serviceNow();
    assert.equal(svc.taskDefinition, outputs["task-definition-arn"]);
    assert.equal(svc.deployments?.length, 1);
    assert.equal(svc.runningCount, svc.desiredCount);
  });

  it("issue #7's job: only id-token: write, a checkout and one keyship/keyship step, with the article's policies", {
    timeout: 120_000,
  }, async () => {
    const before = await serviceNow();
    const { result, log, events } = await run(`
on: push
permissions:
  id-token: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: keyship/keyship@v1
        with:
${withRole}${target}          image: ${REPO}
          image-from: oci:img
          wait-minutes: 2
`);
    assert.equal(result.status, "success", log);
    for (const e of ["push", "register", "roll", "stable"]) assert.ok(events.includes(e), `event ${e}`);
    const svc = await serviceNow();
    assert.notEqual(svc.taskDefinition, before.taskDefinition, "a new revision is running");
    assert.equal(svc.deployments?.length, 1);
    assert.equal(svc.runningCount, svc.desiredCount);
    // The job summary carries the rollout table; the step's credentials never reach the log.
    assert.match(result.jobs[0]!.summary, /\| task definition \|/);
    assert.doesNotMatch(log, /ASIA[A-Z0-9]{16}/, "no session key id in the log");
  });

  it("without role-arn it uses the credentials configure-aws-credentials exported to the step", {
    timeout: 120_000,
  }, async () => {
    const hostKey = process.env.AWS_ACCESS_KEY_ID;
    const { result, log } = await run(`
on: push
permissions: { id-token: write }
jobs:
  deploy:
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-actions-deploy
          aws-region: ${REGION}
      - id: ship
        uses: ./
        with:
${target}          image: ${REPO}
          image-from: oci:img
          force-new-deployment: true
`);
    assert.equal(result.status, "success", log);
    assert.doesNotMatch(log, /Assumed /, "no second AssumeRoleWithWebIdentity: the exported keys are used");
    assert.match(result.jobs[0]!.steps[2]!.outputs["deployment-id"] ?? "", /^ecs-svc\//);
    assert.equal(process.env.AWS_ACCESS_KEY_ID, hostKey, "process.env untouched");
  });

  it("defaults come from the checked-out action.yml (here dry-run: true), not from a copy", {
    timeout: 60_000,
  }, async () => {
    const before = await serviceNow();
    const { result, log } = await run(
      `
on: push
permissions: { id-token: write }
jobs:
  deploy:
    steps:
      - uses: actions/checkout@v4
      - id: ship
        uses: ./
        with:
${withRole}${target}          image: ${REPO}:dry
`,
      (text) => {
        const changed = text.replace(/( {2}dry-run:\n(?: {4}.*\n)*? {4}default: )"false"/, '$1"true"');
        assert.notEqual(changed, text, "action.yml declares dry-run with a default");
        return changed;
      },
    );
    assert.equal(result.status, "success", log);
    assert.equal(result.jobs[0]!.steps[1]!.outputs["deployment-id"], undefined);
    const after = await serviceNow();
    assert.equal(after.taskDefinition, before.taskDefinition, "a dry run changes nothing");
  });

  it("fails the step with the action's message when a required input is missing", async () => {
    const { result } = await run(`
on: push
permissions: { id-token: write }
jobs:
  deploy:
    steps:
      - uses: actions/checkout@v4
      - uses: ./
        with: { region: ${REGION}, cluster: sample_ecs_cluster, task-definition: task-definition.json }
`);
    assert.equal(result.status, "failure");
    assert.equal(result.failure?.error, "Input required and not supplied: service");
  });

  it("a local action that is not keyship's is refused, naming it", async () => {
    const { result } = await run(`
on: push
jobs:
  j:
    steps:
      - uses: ./.github/workflows
`);
    assert.equal(result.status, "failure");
    assert.match(result.failure!.error, /Can't find 'action.yml' or 'action.yaml'/);
  });
});
