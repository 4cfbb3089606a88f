// aws-actions/amazon-ecr-login v2, built in (official-actions.md §2): GetAuthorizationToken, then a
// docker (or podman) login per registry — with the password on stdin, not on argv (pain point 8).
import { spawn } from "node:child_process";
import { GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { ActionFailure, type BuiltinAction, booleanInput } from "./action-context.ts";
import { ecrClient } from "./aws-clients.ts";

export const amazonEcrLogin: BuiltinAction = {
  name: "aws-actions/amazon-ecr-login",
  defaults: { "registry-type": "private", "mask-password": "true", "skip-logout": "false" },
  async run(ctx) {
    const type = ctx.inputs["registry-type"] ?? "private";
    if (type !== "private" && type !== "public")
      throw new ActionFailure("Invalid input for 'registry-type', possible options are [private, public]");
    if (type === "public")
      throw new ActionFailure("registry-type: public (ECR Public) is not served by keyship");
    const registryIds = (ctx.inputs.registries ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const out = await ecrClient(ctx.env, "amazon-ecr-login-for-github-actions").send(
      new GetAuthorizationTokenCommand(registryIds.length ? { registryIds } : {}),
    );
    const data = out.authorizationData ?? [];
    if (!data.length) throw new ActionFailure("Amazon ECR authorization token returned no data");
    const mask = booleanInput(ctx, "mask-password");
    const registries: string[] = [];
    for (const d of data) {
      if (!d.authorizationToken || !d.proxyEndpoint)
        throw new ActionFailure("Amazon ECR authorization token is invalid");
      const decoded = Buffer.from(d.authorizationToken, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      if (mask) ctx.mask(password);
      const uri = d.proxyEndpoint.replace(/^https?:\/\//, "");
      if (ctx.docker) await dockerLogin(ctx.docker, user, password, uri, ctx.log);
      else ctx.log(`Note: no Docker or Podman answers here; skipping docker login to ${uri}`);
      const key = uri.replace(/[^a-zA-Z0-9_]+/g, "_");
      ctx.setOutput(`docker_username_${key}`, user);
      ctx.setOutput(`docker_password_${key}`, password);
      registries.push(uri);
    }
    if (registries.length === 1) ctx.setOutput("registry", registries[0]!);
    ctx.event("login", registries.join(", "));
  },
};

function dockerLogin(
  docker: { command: string; env: Record<string, string> },
  user: string,
  password: string,
  registry: string,
  log: (l: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(docker.command, ["login", "--username", user, "--password-stdin", registry], {
      env: docker.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => log(b.toString().trimEnd()));
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", (err) =>
      reject(new ActionFailure(`Could not login to registry ${registry}: ${err.message}`)),
    );
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new ActionFailure(`Could not login to registry ${registry}: ${stderr.trim()}`)),
    );
    child.stdin.end(password);
  });
}
