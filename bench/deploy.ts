// Deploy benchmark on the twin, same run: (1) time from the service becoming stable to the waiter returning,
// keyship's watch vs the SDK's waitUntilServicesStable as amazon-ecs-deploy-task-definition configures it
// (minDelay 15 s); (2) API calls per deploy, keyship vs the official actions' sequence.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from "@aws-sdk/client-ecs";
import { countCalls, runDeploy } from "../src/client/deploy/run.ts";
import {
  CLUSTER,
  REGION,
  REPO_URI,
  ROLE_ARN,
  SERVICE,
  type SeedTwin,
  seedTaskDefinition,
  startSeedTwin,
} from "../test/client/deploy/seed-twin.ts";
import { buildImage, writeOciLayout } from "../test/client/image/build-image.ts";
import type { Row } from "./table.ts";

/** When the twin recorded "(deployment ID) deployment completed." — the moment the rollout became stable. */
async function completedAt(ecs: ECSClient, deploymentId: string): Promise<number | undefined> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
  const e = out.services?.[0]?.events?.find((ev) =>
    ev.message?.includes(`(deployment ${deploymentId}) deployment completed`),
  );
  return e?.createdAt?.getTime();
}

export async function runDeployBench(rounds = 3): Promise<Row[]> {
  const seed: SeedTwin = await startSeedTwin();
  try {
    const admin = new ECSClient({
      region: REGION,
      endpoint: seed.twin.url,
      credentials: seed.adminCredentials,
    });
    const tdFile = join(seed.dir, "task-definition.json");
    await writeFile(tdFile, JSON.stringify(seedTaskDefinition(`${REPO_URI}:latest`)));
    const keyshipLag: number[] = [];
    const sdkLag: number[] = [];
    let keyshipCalls = 0;
    let officialCalls = 0;
    for (let i = 0; i < rounds; i++) {
      // keyship deploy, full: OIDC, push, register, update, watch.
      const layout = join(seed.dir, `img-${i}`);
      await writeOciLayout(
        layout,
        buildImage(
          [{ path: "www/index.html", content: `bench ${i}\n` }],
          ["/bin/busybox", "httpd", "-f"],
          `bench-${i}`,
        ),
      );
      const env = await seed.jobEnvFor("example-org/sample-app");
      const counts = new Map<string, number>();
      const result = await runDeploy(
        {
          region: REGION,
          roleArn: ROLE_ARN,
          cluster: CLUSTER,
          service: SERVICE,
          taskDefinitionFile: tdFile,
          containers: [{ name: "web", imageFrom: `oci:${layout}` }],
          waitMinutes: 5,
          tag: `b${i}`,
        },
        { env, log: () => {} },
        counts,
      );
      const exitedAt = Date.now();
      if (result.exitCode !== 0 || !result.deploymentId)
        throw new Error(`keyship deploy failed: ${result.message}`);
      const stable = await completedAt(admin, result.deploymentId);
      if (stable !== undefined) keyshipLag.push((exitedAt - stable) / 1000);
      // + AssumeRoleWithWebIdentity (not an ECS/ECR client call).
      keyshipCalls = [...counts.values()].reduce((a, b) => a + b, 0) + 1;

      // The official sequence with admin keys: RegisterTaskDefinition, DescribeServices, UpdateService, waiter, DescribeServices.
      const sdk = new ECSClient({
        region: REGION,
        endpoint: seed.twin.url,
        credentials: seed.adminCredentials,
      });
      const sdkCounts = new Map<string, number>();
      countCalls(sdk, sdkCounts);
      const td = await sdk.send(
        new RegisterTaskDefinitionCommand({
          ...(seedTaskDefinition(result.images[0]!.image) as object),
          containerDefinitions: [
            {
              ...seedTaskDefinition(result.images[0]!.image).containerDefinitions[0]!,
              environment: [{ name: "ROUND", value: String(i) }],
            },
          ],
        } as never),
      );
      await sdk.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
      const upd = await sdk.send(
        new UpdateServiceCommand({
          cluster: CLUSTER,
          service: SERVICE,
          taskDefinition: td.taskDefinition!.taskDefinitionArn!,
        }),
      );
      const after = upd.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
      await waitUntilServicesStable(
        { client: sdk, minDelay: 15, maxWaitTime: 300 },
        { cluster: CLUSTER, services: [SERVICE] },
      );
      const sdkExited = Date.now();
      await sdk.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
      const sdkStable = after ? await completedAt(admin, after) : undefined;
      if (sdkStable !== undefined) sdkLag.push((sdkExited - sdkStable) / 1000);
      // configure-aws-credentials: AssumeRoleWithWebIdentity + GetCallerIdentity; amazon-ecr-login: GetAuthorizationToken.
      officialCalls = [...sdkCounts.values()].reduce((a, b) => a + b, 0) + 3;
    }
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
    return [
      {
        bench: "deploy: stable → exit",
        keyship: mean(keyshipLag),
        peer: mean(sdkLag),
        peerName: "waitUntilServicesStable minDelay 15 s",
        unit: "s",
        lowerIsBetter: true,
        target: "<= 1 s",
        detail: `${rounds} rounds, simulated runtime`,
      },
      {
        bench: "deploy: API calls per deploy",
        keyship: keyshipCalls,
        peer: officialCalls,
        peerName: "official actions' sequence",
        unit: "calls",
        lowerIsBetter: true,
        detail:
          "keyship incl. DescribeTaskDefinition attempt and its adaptive polls; registry calls not counted",
      },
    ];
  } finally {
    await seed.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runDeployBench(Number(process.argv[2] ?? 2));
  console.log(rows);
}
