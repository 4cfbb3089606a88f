// Registry benchmark: skopeo pushes then pulls a 256 MiB image of several layers, keyship (under ECR
// auth) vs Debian's docker-registry (CNCF distribution), same run; a raw disk copy of the same bytes
// is the ceiling, and the twin's peak RSS during the push shows it streams.
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { freePort, startKeyship, waitFor } from "./peers.ts";
import type { Row } from "./table.ts";

const MiB = 1024 * 1024;

/** Writes an OCI layout with `layers` random layers of `layerMiB` each; returns the bytes' paths. */
async function makeLayout(dir: string, layers: number, layerMiB: number): Promise<string[]> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const files: string[] = [];
  const descriptors: { mediaType: string; digest: string; size: number }[] = [];
  for (let i = 0; i < layers; i++) {
    const tmp = join(dir, `layer-${i}`);
    const hash = createHash("sha256");
    const out = createWriteStream(tmp);
    for (let m = 0; m < layerMiB; m++) {
      const chunk = randomBytes(MiB);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    const hex = hash.digest("hex");
    await copyFile(tmp, join(blobs, hex));
    await rm(tmp);
    files.push(join(blobs, hex));
    descriptors.push({
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: `sha256:${hex}`,
      size: layerMiB * MiB,
    });
  }
  const put = async (bytes: string) => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(bytes) };
  };
  const config = await put(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: descriptors.map((d) => d.digest) },
    }),
  );
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: descriptors,
    }),
  );
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": "bench" },
        },
      ],
    }),
  );
  return files;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * MiB }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args[0]} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Peak resident set (VmHWM) of a process, in MiB. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

async function currentRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? "0") / 1024;
}

async function pushPull(
  layout: string,
  host: string,
  repo: string,
  creds: string[],
  pullDir: string,
): Promise<{ push: number; pull: number }> {
  const push = await timed(() =>
    run("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      ...creds.flatMap((c) => ["--dest-creds", c]),
      `oci:${layout}:bench`,
      `docker://${host}/${repo}:bench`,
    ]),
  );
  const pull = await timed(() =>
    run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      ...creds.flatMap((c) => ["--src-creds", c]),
      `docker://${host}/${repo}:bench`,
      `oci:${pullDir}:bench`,
    ]),
  );
  return { push, pull };
}

export async function runRegistryBench(layers = 4, layerMiB = 64): Promise<Row[]> {
  for (const tool of ["skopeo", "docker-registry"]) {
    await run("sh", ["-c", `command -v ${tool}`]).catch(() => {
      throw new Error(
        `${tool} is not installed (apt-get install ${tool === "skopeo" ? "skopeo" : "docker-registry"})`,
      );
    });
  }
  const work = await mkdtemp(join(tmpdir(), "keyship-regbench-"));
  const rows: Row[] = [];
  const totalMiB = layers * layerMiB;
  const stops: (() => Promise<void>)[] = [];
  try {
    const layout = join(work, "layout");
    const files = await makeLayout(layout, layers, layerMiB);

    // Ceiling: a raw disk copy of the same layer bytes.
    await mkdir(join(work, "copy"));
    const copy = await timed(async () => {
      for (const f of files) await copyFile(f, join(work, "copy", f.split("/").pop()!));
    });

    // The reference registry, with its own config on loopback.
    const regPort = await freePort();
    const regConfig = join(work, "registry.yml");
    await writeFile(
      regConfig,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "registry-data")}\nhttp:\n  addr: 127.0.0.1:${regPort}\n`,
    );
    const registry = spawn("docker-registry", ["serve", regConfig], { stdio: "ignore" });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (registry.exitCode !== null) return resolve();
          registry.once("exit", () => resolve());
          registry.kill("SIGTERM");
        }),
    );
    await waitFor(`http://127.0.0.1:${regPort}/v2/`);

    // keyship as its own process, so its memory is measured alone.
    const stateDir = join(work, "keyship-state");
    const keyship = await startKeyship(stateDir);
    stops.push(() => keyship.stop());
    const { readAdmin } = await import("../test/support/admin.ts");
    const { admin } = await readAdmin(stateDir);
    const ecr = new ECRClient({ endpoint: keyship.url, region: "us-east-1", credentials: admin });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "bench" }));
    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!
      .authorizationToken!;
    ecr.destroy();
    const password = Buffer.from(token, "base64").toString("utf8").slice(4);
    const pid = keyship.child.pid!;
    const rssBefore = await currentRss(pid);

    const ks = await pushPull(
      layout,
      new URL(keyship.url).host,
      "bench",
      [`AWS:${password}`],
      join(work, "pull-keyship"),
    );
    const rssPeak = await peakRss(pid);
    const ref = await pushPull(layout, `127.0.0.1:${regPort}`, "bench", [], join(work, "pull-registry"));

    const mbps = (s: number) => totalMiB / s;
    rows.push(
      {
        bench: `registry push ${totalMiB} MiB (${layers} layers) MiB/s`,
        keyship: mbps(ks.push),
        peer: mbps(ref.push),
        peerName: "docker-registry",
        unit: "MiB/s",
        target: ">= 1.0x",
        detail: `skopeo copy oci: → docker://, ${ks.push.toFixed(2)} s vs ${ref.push.toFixed(2)} s; disk copy ceiling ${mbps(copy).toFixed(0)} MiB/s`,
      },
      {
        bench: `registry pull ${totalMiB} MiB (${layers} layers) MiB/s`,
        keyship: mbps(ks.pull),
        peer: mbps(ref.pull),
        peerName: "docker-registry",
        unit: "MiB/s",
        target: ">= 1.0x",
        detail: `skopeo copy docker:// → oci:, ${ks.pull.toFixed(2)} s vs ${ref.pull.toFixed(2)} s; disk copy ceiling ${mbps(copy).toFixed(0)} MiB/s`,
      },
      {
        bench: "registry raw disk copy (ceiling) MiB/s",
        keyship: mbps(copy),
        unit: "MiB/s",
        detail: `${totalMiB} MiB copied file by file in ${copy.toFixed(2)} s`,
      },
      {
        bench: "registry twin peak RSS during push MiB",
        keyship: rssPeak,
        unit: "MiB",
        lowerIsBetter: true,
        target: "flat (streams)",
        detail: `RSS ${rssBefore.toFixed(0)} MiB before the push; image ${totalMiB} MiB, largest layer ${layerMiB} MiB`,
      },
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import("./table.ts");
  process.stdout.write(`${renderTable(await runRegistryBench())}\n`);
}
