// A small OCI image built in process (no Docker): one gzip layer from a Dockerfile's COPY sources, the
// config from its CMD/EXPOSE. Enough for the seed's Dockerfile (FROM scratch, COPY, EXPOSE, CMD).
// Formats: https://github.com/opencontainers/image-spec (manifest.md, config.md, layer.md).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { type ImageSource, MEDIA } from "../image/source.ts";

export interface TarEntry {
  path: string;
  data?: Buffer;
  mode: number;
  dir: boolean;
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  const name = e.dir ? `${e.path}/` : e.path;
  h.write(name.slice(0, 100), 0, "utf8");
  h.write(`${(e.mode & 0o7777).toString(8).padStart(7, "0")}\0`, 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${(e.data?.length ?? 0).toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136); // mtime 0: the same inputs give the same digest
  h.write("        ", 148);
  h.write(e.dir ? "5" : "0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.data) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function addTree(src: string, dest: string, out: TarEntry[]): void {
  const st = statSync(src);
  if (st.isDirectory()) {
    out.push({ path: dest, mode: 0o755, dir: true });
    for (const n of readdirSync(src).sort()) addTree(join(src, n), posix.join(dest, n), out);
  } else
    out.push({ path: dest, data: readFileSync(src), mode: st.mode & 0o777 ? st.mode : 0o644, dir: false });
}

export interface DockerfileImage {
  entries: TarEntry[];
  cmd?: string[];
  exposed: string[];
}

/** Reads FROM scratch / COPY / EXPOSE / CMD; a COPY source missing from the context gets a placeholder file. */
export function fromDockerfile(
  contextDir: string,
  dockerfile = "Dockerfile",
): DockerfileImage & { missing: string[] } {
  const text = readFileSync(join(contextDir, dockerfile), "utf8");
  const entries: TarEntry[] = [];
  const exposed: string[] = [];
  const missing: string[] = [];
  let cmd: string[] | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [instr, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    switch (instr?.toUpperCase()) {
      case "FROM":
        if (args !== "scratch")
          throw new Error(`the in-process image builder handles FROM scratch only (got FROM ${args})`);
        break;
      case "COPY": {
        const parts = args.split(/\s+/);
        const dest = parts.pop()!.replace(/^\//, "");
        for (const s of parts) {
          const src = join(contextDir, s);
          if (existsSync(src))
            addTree(src, dest.endsWith("/") ? posix.join(dest, posix.basename(s)) : dest, entries);
          else {
            missing.push(s);
            entries.push({
              path: dest,
              data: Buffer.from(`placeholder for ${s} (not in the build context)\n`),
              mode: 0o755,
              dir: false,
            });
          }
        }
        break;
      }
      case "EXPOSE":
        exposed.push(...args.split(/\s+/));
        break;
      case "CMD":
        cmd = args.startsWith("[") ? (JSON.parse(args) as string[]) : ["/bin/sh", "-c", args];
        break;
      default:
        throw new Error(`the in-process image builder does not handle ${instr}`);
    }
  }
  // parent directories first, as a tar of a filesystem would have them
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const dirEntries = [...dirs]
    .filter((d) => !entries.some((e) => e.dir && e.path === d))
    .sort()
    .map((d) => ({ path: d, mode: 0o755, dir: true }));
  return { entries: [...dirEntries, ...entries], cmd, exposed, missing };
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The image as an ImageSource the registry push client can send. */
export function imageSource(image: DockerfileImage, description = "in-process image"): ImageSource {
  const layerTar = tar(image.entries);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {
        Cmd: image.cmd,
        ExposedPorts: Object.fromEntries(image.exposed.map((p) => [p.includes("/") ? p : `${p}/tcp`, {}])),
      },
      rootfs: { type: "layers", diff_ids: [sha(layerTar)] },
      history: [{ created_by: "keyship demo: in-process build" }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: sha(config), size: config.length },
      layers: [{ mediaType: MEDIA.ociLayerGzip, digest: sha(layer), size: layer.length }],
    }),
  );
  const blob = (data: Buffer, mediaType: string) => ({
    digest: sha(data),
    size: data.length,
    mediaType,
    open: () => Readable.from([data]),
  });
  return {
    description,
    manifest: { bytes: manifest, mediaType: MEDIA.ociManifest, digest: sha(manifest) },
    blobs: [blob(config, MEDIA.ociConfig), blob(layer, MEDIA.ociLayerGzip)],
    close: async () => {},
  };
}
