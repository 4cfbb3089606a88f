// actions/checkout, locally: copies the workflow's repository directory into the workspace.
// https://github.com/actions/checkout (inputs: path, ref; the rest are accepted and ignored).
import { cp, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { BuiltinAction } from "./action-context.ts";

export const checkout: BuiltinAction = {
  name: "actions/checkout",
  defaults: { path: "", ref: "", "fetch-depth": "1", "persist-credentials": "true" },
  async run(ctx) {
    const dest = resolve(ctx.workspace, ctx.inputs.path ?? "");
    await mkdir(dest, { recursive: true });
    await cp(ctx.repoDir, dest, {
      recursive: true,
      filter: (src) => src !== join(ctx.repoDir, ".git") && !src.startsWith(`${join(ctx.repoDir, ".git")}/`),
    });
    if (ctx.inputs.ref)
      ctx.log(`Note: ref ${ctx.inputs.ref} requested; keyship copies the working tree as it is.`);
    ctx.log(`Copied ${ctx.repoDir} into ${dest}`);
  },
};
