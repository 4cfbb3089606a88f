// x-amzn-RequestId on every response of the twin's one port: AWS calls of both protocols (success and
// error), and the non-AWS routes (registry, OIDC issuer, runner token endpoint, GitHub REST, /_keyship, 404).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../support/twin.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("x-amzn-RequestId on every response", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  const routes: [string, string, number][] = [
    ["GET", "/_keyship/health", 200],
    ["GET", "/_keyship/decisions", 200],
    ["GET", "/_keyship/nothing-here", 404],
    ["GET", "/.well-known/openid-configuration", 200],
    ["GET", "/.well-known/jwks", 200],
    ["GET", "/v2/", 401],
    ["HEAD", "/v2/app/manifests/latest", 401],
    ["GET", "/_apis/distributedtask/hubs/Actions/plans/p/jobs/j/idtoken?api-version=2.0", 401],
    ["GET", "/orgs/example-org/actions/oidc/customization/sub", 200],
    ["GET", "/no/such/path", 404],
  ];
  for (const [method, path, status] of routes) {
    it(`${method} ${path} → ${status}`, async () => {
      const res = await fetch(`${twin.url}${path}`, { method });
      assert.equal(res.status, status);
      assert.match(res.headers.get("x-amzn-requestid") ?? "", UUID);
      // every answer is dated (RFC 9110 §6.6.1), within a few seconds of now
      const date = Date.parse(res.headers.get("date") ?? "");
      assert.ok(Math.abs(date - Date.now()) < 5_000, `date: ${res.headers.get("date")}`);
      await res.arrayBuffer();
    });
  }

  it("each response has its own id", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${twin.url}/_keyship/health`);
      ids.add(res.headers.get("x-amzn-requestid") ?? "");
      await res.arrayBuffer();
    }
    assert.equal(ids.size, 5);
  });

  it("AWS calls: awsQuery and awsJson1_1, success and error, as the SDK reads it", async () => {
    const ecs = new ECSClient(clientConfig(twin));
    const ok = await ecs.send(new ListClustersCommand({}));
    assert.match(ok.$metadata.requestId ?? "", UUID);
    const iam = new IAMClient(clientConfig(twin));
    await assert.rejects(
      iam.send(new GetRoleCommand({ RoleName: "missing" })),
      (e: { name: string; $metadata?: { requestId?: string } }) => {
        assert.equal(e.name, "NoSuchEntityException");
        assert.match(e.$metadata?.requestId ?? "", UUID);
        return true;
      },
    );
    // An unsigned JSON call is refused at the edge, and still carries an id.
    const res = await fetch(twin.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters",
      },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get("x-amzn-requestid") ?? "", UUID);
    ecs.destroy();
    iam.destroy();
  });
});
