// The registry's authorization edges: a repository policy that denies a principal its identity policies
// allow (raw HTTP and skopeo), and a registry password that expires 12 h after GetAuthorizationToken.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import { ManualClock } from "../../src/core/clock.ts";
import { startTwin } from "../../src/main.ts";
import {
  createRepo,
  ecrClient,
  imageManifest,
  loginOf,
  putManifest,
  type RegistryFixture,
  reg,
  startRegistryTwin,
  userWith,
} from "./fixture.ts";

function skopeo(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("skopeo", args, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describe("a repository policy that denies", () => {
  let f: RegistryFixture;
  before(async () => {
    f = await startRegistryTwin();
  });
  after(async () => {
    await f?.close();
  });

  it("refuses /v2/ pulls to the denied principal, with the resource-policy deny in the message", async () => {
    await createRepo(f, "locked");
    const m = await imageManifest(f, "locked", "l");
    assert.equal((await putManifest(f, "locked", "v1", m.manifest)).status, 201);
    const reader = await userWith(
      f,
      "denied-reader",
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    );
    const other = await userWith(
      f,
      "other-reader",
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    );
    const { basic, password } = await loginOf(ecrClient(f.twin, reader));
    const otherLogin = await loginOf(ecrClient(f.twin, other));
    assert.equal((await reg(f, "/v2/locked/manifests/v1", { basic })).status, 200, "allowed before");

    await f.ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "locked",
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "NoPullsForDeniedReader",
              Effect: "Deny",
              Principal: { AWS: "arn:aws:iam::123456789012:user/denied-reader" },
              Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            },
          ],
        }),
      }),
    );
    const manifest = await reg(f, "/v2/locked/manifests/v1", { basic });
    assert.equal(manifest.status, 403);
    const err = ((await manifest.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(err.code, "DENIED");
    assert.equal(
      err.message,
      "User: arn:aws:iam::123456789012:user/denied-reader is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/locked with an explicit deny in a resource-based policy",
    );
    assert.equal((await reg(f, `/v2/locked/blobs/${m.layerDigest}`, { basic })).status, 403);
    const pull = await skopeo([
      "inspect",
      "--tls-verify=false",
      "--creds",
      `AWS:${password}`,
      `docker://${f.host}/locked:v1`,
    ]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, /denied/i);
    // only the named principal: another reader and the admin still pull
    assert.equal((await reg(f, "/v2/locked/manifests/v1", { basic: otherLogin.basic })).status, 200);
    assert.equal((await reg(f, "/v2/locked/manifests/v1")).status, 200);
  });
});

describe("registry password lifetime", () => {
  it("works until 12 h after GetAuthorizationToken, then is 403 with ECR's expired-token text", async () => {
    const clock = new ManualClock(Date.now());
    const twin = await startTwin({
      stateDir: await mkdtemp(join(tmpdir(), "keyship-expiry-")),
      port: 0,
      runtime: "simulated",
      clock,
      log: () => {},
    });
    try {
      const ecr = ecrClient(twin, twin.admin);
      const { basic } = await loginOf(ecr);
      ecr.destroy();
      const get = () => fetch(`${twin.url}/v2/_catalog`, { headers: { authorization: `Basic ${basic}` } });
      assert.equal((await get()).status, 200);
      clock.advance(12 * 3600_000 - 1000);
      assert.equal((await get()).status, 200, "still valid a second before 12 h");
      clock.advance(1000);
      const r = await get();
      assert.equal(r.status, 403);
      assert.deepEqual(await r.json(), {
        errors: [
          { code: "DENIED", message: "Your authorization token has expired. Reauthenticate and try again." },
        ],
      });
    } finally {
      await twin.close();
    }
  });
});
