// One twin of the authorization-cost benchmark in a process of its own, so that neither twin's JIT
// or heap is shaped by the other's: prints `{url, req}` (a signed GetRole) as one JSON line, then
// serves until SIGTERM. `--without-authorization` starts it with the check switched off.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { startTwin } from "../src/main.ts";
import { signQuery } from "./signed.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-authz-"));
const twin = await startTwin({
  stateDir,
  port: 0,
  runtime: "simulated",
  log: () => {},
  benchmarkWithoutAuthorization: process.argv.includes("--without-authorization"),
});
const iam = new IAMClient({ endpoint: twin.url, region: "us-east-1", credentials: twin.admin });
await iam.send(new CreateRoleCommand({ RoleName: "bench-role", AssumeRolePolicyDocument: trust }));
iam.destroy();
const req = await signQuery(
  twin.url,
  "iam",
  "Action=GetRole&RoleName=bench-role&Version=2010-05-08",
  twin.admin,
);
process.once("SIGTERM", () => {
  void twin
    .close()
    .then(() => rm(stateDir, { recursive: true, force: true }))
    .finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: twin.url, req })}\n`);
