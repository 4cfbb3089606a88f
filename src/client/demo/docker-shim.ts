// A `docker` stand-in for machines with neither Docker nor Podman: `docker build` builds the small
// in-process image (tiny-image.ts) and `docker push` sends it through the registry API, so the
// article's workflow runs unchanged. State between calls: a JSON file of tag → build context.
// Invoked as: node --import tsx docker-shim.ts <docker args...>  (KEYSHIP_SHIM_STATE names the file)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pushImage } from "../image/push.ts";
import { parseImageRef } from "../image/reference.ts";
import { RegistryClient } from "../image/registry-client.ts";
import { fromDockerfile, imageSource } from "./tiny-image.ts";

const stateFile = process.env.KEYSHIP_SHIM_STATE ?? resolve(".keyship-docker-shim.json");
type State = { builds: Record<string, { context: string; file: string }>; auths: Record<string, string> };
const load = (): State =>
  existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as State) : { builds: {}, auths: {} };
const save = (s: State) => writeFileSync(stateFile, JSON.stringify(s));

async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  const state = load();
  if (cmd === "login") {
    let user = "";
    let registry = "";
    let passwordStdin = false;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "-u" || rest[i] === "--username") user = rest[++i] ?? "";
      else if (rest[i] === "--password-stdin") passwordStdin = true;
      else if (rest[i] === "-p" || rest[i] === "--password") state.auths.__argv = rest[++i] ?? "";
      else registry = rest[i]!.replace(/^https?:\/\//, "");
    }
    const password = passwordStdin ? readFileSync(0, "utf8").trim() : (state.auths.__argv ?? "");
    delete state.auths.__argv;
    state.auths[registry] = Buffer.from(`${user}:${password}`).toString("base64");
    save(state);
    process.stdout.write("Login Succeeded (keyship in-process registry client)\n");
    return 0;
  }
  if (cmd === "build") {
    const tags: string[] = [];
    let file = "Dockerfile";
    let context = ".";
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "-t" || rest[i] === "--tag") tags.push(rest[++i]!);
      else if (rest[i] === "-f" || rest[i] === "--file") file = rest[++i]!;
      else if (!rest[i]!.startsWith("-")) context = rest[i]!;
    }
    const image = fromDockerfile(resolve(context), file);
    for (const m of image.missing)
      process.stdout.write(
        `note: ${m} is not in the build context; a placeholder file stands in (simulated runtime)\n`,
      );
    for (const t of tags) state.builds[t] = { context: resolve(context), file };
    save(state);
    process.stdout.write(
      `Built ${tags.join(", ")} in process (${image.entries.length} files, FROM scratch)\n`,
    );
    return 0;
  }
  if (cmd === "push") {
    const tag = rest.find((a) => !a.startsWith("-"))!;
    const build = state.builds[tag];
    if (!build) {
      process.stderr.write(`An image does not exist locally with the tag: ${tag}\n`);
      return 1;
    }
    const ref = parseImageRef(tag);
    if (!ref) throw new Error(`invalid reference ${tag}`);
    const auth = state.auths[ref.registry];
    const client = new RegistryClient({
      baseUrl: `http://${ref.registry}`,
      ...(auth ? { authorization: `Basic ${auth}` } : {}),
    });
    const source = imageSource(fromDockerfile(build.context, build.file), tag);
    const r = await pushImage(client, source, {
      repository: ref.repository,
      ...(ref.tag ? { tag: ref.tag } : {}),
    });
    process.stdout.write(
      `${ref.tag ?? "latest"}: digest: ${r.digest} size: ${source.manifest.bytes.length}\n`,
    );
    return 0;
  }
  if (cmd === "logout" || cmd === "info" || cmd === "--version") return 0;
  process.stderr.write(`keyship's docker stand-in handles login, build, push; not ${cmd}\n`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
