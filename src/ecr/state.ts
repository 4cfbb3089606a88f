// The one image store behind both views (ECR API and /v2/ registry): repositories, images, tags,
// layer links and upload sessions in SQLite; blob bytes in store/blobs.ts. Every rule that both
// views share (tag mutability, layer presence, no auto-create, lifecycle) lives here.
//
// Tables (component "ecr"):
//   ecr_repositories  one row per (account, region, name) with its settings and policies
//   ecr_layers        blob links: a blob is visible in a repository only through a link (uploaded or mounted)
//   ecr_images        one row per manifest in a repository; ecr_image_refs what it references
//   ecr_tags          tag → digest per repository
//   ecr_uploads       open upload sessions (their bytes are uploads/<id>); survive restarts
import type { Readable } from "node:stream";
import type { TwinRuntime } from "../core/service.ts";
import type { BlobStore, DigestAlgorithm } from "../store/blobs.ts";
import { DigestMismatch, isDigest } from "../store/blobs.ts";
import type { Store } from "../store/sqlite.ts";
import { EcrError, ecrErrors } from "./errors.ts";
import { evaluateLifecycle, validateLifecyclePolicy } from "./lifecycle.ts";
import { ManifestInvalid, type ParsedManifest, parseManifest } from "./manifest.ts";

const MIGRATIONS = [
  `CREATE TABLE ecr_repositories (
     id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     created_at INTEGER NOT NULL, mutability TEXT NOT NULL, exclusion_filters TEXT NOT NULL DEFAULT '[]',
     scanning TEXT NOT NULL, encryption TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
     policy TEXT, lifecycle TEXT, lifecycle_evaluated_at INTEGER,
     UNIQUE (account, region, name));
   CREATE TABLE ecr_layers (
     repo_id INTEGER NOT NULL REFERENCES ecr_repositories(id) ON DELETE CASCADE,
     digest TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
     PRIMARY KEY (repo_id, digest));
   CREATE INDEX ecr_layers_digest ON ecr_layers(digest);
   CREATE TABLE ecr_images (
     repo_id INTEGER NOT NULL REFERENCES ecr_repositories(id) ON DELETE CASCADE,
     digest TEXT NOT NULL, media_type TEXT NOT NULL, artifact_type TEXT, subject TEXT,
     config_media_type TEXT, annotations TEXT, manifest_size INTEGER NOT NULL, image_size INTEGER NOT NULL,
     pushed_at INTEGER NOT NULL, last_pull INTEGER,
     PRIMARY KEY (repo_id, digest));
   CREATE INDEX ecr_images_digest ON ecr_images(digest);
   CREATE INDEX ecr_images_subject ON ecr_images(repo_id, subject);
   CREATE TABLE ecr_image_refs (
     repo_id INTEGER NOT NULL, digest TEXT NOT NULL, child TEXT NOT NULL, kind TEXT NOT NULL,
     media_type TEXT, size INTEGER,
     PRIMARY KEY (repo_id, digest, child),
     FOREIGN KEY (repo_id, digest) REFERENCES ecr_images(repo_id, digest) ON DELETE CASCADE);
   CREATE INDEX ecr_image_refs_child ON ecr_image_refs(child);
   CREATE TABLE ecr_tags (
     repo_id INTEGER NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
     PRIMARY KEY (repo_id, tag),
     FOREIGN KEY (repo_id, digest) REFERENCES ecr_images(repo_id, digest) ON DELETE CASCADE);
   CREATE TABLE ecr_uploads (
     id TEXT PRIMARY KEY, repo_id INTEGER NOT NULL REFERENCES ecr_repositories(id) ON DELETE CASCADE,
     principal_arn TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     parts TEXT NOT NULL DEFAULT '[]');
   CREATE TABLE ecr_account_settings (
     account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
     PRIMARY KEY (account, region, name));`,
];

export type TagMutability = "MUTABLE" | "IMMUTABLE" | "IMMUTABLE_WITH_EXCLUSION" | "MUTABLE_WITH_EXCLUSION";

export interface ExclusionFilter {
  filterType: "WILDCARD";
  filter: string;
}

export interface Repository {
  id: number;
  accountId: string;
  region: string;
  name: string;
  arn: string;
  createdAt: Date;
  imageTagMutability: TagMutability;
  imageTagMutabilityExclusionFilters: ExclusionFilter[];
  imageScanningConfiguration: { scanOnPush: boolean };
  encryptionConfiguration: { encryptionType: string; kmsKey?: string };
  tags: { Key: string; Value: string }[];
  policy?: string;
  lifecycle?: string;
  lifecycleEvaluatedAt?: Date;
}

export interface Image {
  repoId: number;
  digest: string;
  mediaType: string;
  artifactType?: string;
  subject?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
  manifestSize: number;
  imageSize: number;
  pushedAt: Date;
  lastPull?: Date;
  tags: string[];
}

export interface UploadSession {
  id: string;
  repoId: number;
  principalArn?: string;
  createdAt: Date;
  updatedAt: Date;
  /** sizes of the parts sent through UploadLayerPart (the API's 5 MiB minimum applies to them) */
  parts: number[];
}

/** Which view is writing: the API and the registry answer a same-digest re-push differently (§3.1). */
export type Via = "api" | "registry";

export interface PutImageResult {
  image: Image;
  /** false when the manifest and tag were already there (idempotent registry re-push) */
  changed: boolean;
  manifest: ParsedManifest;
}

export interface EcrStateOptions {
  /** upload sessions idle longer than this are purged (ecr-registry.md §9.4: default 24 h) */
  uploadTtlMs?: number;
  /** blobs nothing references are deleted once older than this (protects blobs mid-publish) */
  gcGraceMs?: number;
  /** log line sink (lifecycle expiries) */
  log?: (line: string) => void;
}

// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html (repositoryName pattern)
const NAME_RE =
  /^(?=.{2,256}$)[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isRepositoryName(name: string): boolean {
  return NAME_RE.test(name);
}
export function isTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function repositoryArn(accountId: string, region: string, name: string): string {
  return `arn:aws:ecr:${region}:${accountId}:repository/${name}`;
}

interface RepoRow {
  id: number;
  account: string;
  region: string;
  name: string;
  created_at: number;
  mutability: string;
  exclusion_filters: string;
  scanning: string;
  encryption: string;
  tags: string;
  policy: string | null;
  lifecycle: string | null;
  lifecycle_evaluated_at: number | null;
}

interface ImageRow {
  repo_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  config_media_type: string | null;
  annotations: string | null;
  manifest_size: number;
  image_size: number;
  pushed_at: number;
  last_pull: number | null;
  tags: string | null;
}

export class EcrState {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly rt: TwinRuntime;
  readonly uploadTtlMs: number;
  readonly gcGraceMs: number;
  readonly #log: (line: string) => void;

  constructor(store: Store, blobs: BlobStore, rt: TwinRuntime, options: EcrStateOptions = {}) {
    this.store = store;
    this.blobs = blobs;
    this.rt = rt;
    this.uploadTtlMs = options.uploadTtlMs ?? 24 * 3600_000;
    this.gcGraceMs = options.gcGraceMs ?? 3600_000;
    this.#log = options.log ?? (() => {});
    store.migrate("ecr", MIGRATIONS);
  }

  // ---- repositories ------------------------------------------------------------------------

  #repo(row: RepoRow): Repository {
    return {
      id: row.id,
      accountId: row.account,
      region: row.region,
      name: row.name,
      arn: repositoryArn(row.account, row.region, row.name),
      createdAt: new Date(row.created_at),
      imageTagMutability: row.mutability as TagMutability,
      imageTagMutabilityExclusionFilters: JSON.parse(row.exclusion_filters),
      imageScanningConfiguration: JSON.parse(row.scanning),
      encryptionConfiguration: JSON.parse(row.encryption),
      tags: JSON.parse(row.tags),
      ...(row.policy ? { policy: row.policy } : {}),
      ...(row.lifecycle ? { lifecycle: row.lifecycle } : {}),
      ...(row.lifecycle_evaluated_at ? { lifecycleEvaluatedAt: new Date(row.lifecycle_evaluated_at) } : {}),
    };
  }

  findRepository(accountId: string, region: string, name: string): Repository | undefined {
    const row = this.store
      .prepared<[string, string, string], RepoRow>(
        "SELECT * FROM ecr_repositories WHERE account = ? AND region = ? AND name = ?",
      )
      .get(accountId, region, name);
    return row ? this.#repo(row) : undefined;
  }

  repositoryById(id: number): Repository | undefined {
    const row = this.store.prepared<[number], RepoRow>("SELECT * FROM ecr_repositories WHERE id = ?").get(id);
    return row ? this.#repo(row) : undefined;
  }

  /** The repository or RepositoryNotFoundException (never auto-created: ecr-registry.md §6.10). */
  getRepository(accountId: string, region: string, name: string): Repository {
    const repo = this.findRepository(accountId, region, name);
    if (!repo) throw ecrErrors.repositoryNotFound(name, accountId);
    return repo;
  }

  listRepositories(accountId: string, region: string): Repository[] {
    return this.store
      .prepared<[string, string], RepoRow>(
        "SELECT * FROM ecr_repositories WHERE account = ? AND region = ? ORDER BY name",
      )
      .all(accountId, region)
      .map((r) => this.#repo(r));
  }

  createRepository(
    accountId: string,
    region: string,
    input: Omit<Repository, "id" | "arn" | "accountId" | "region" | "createdAt">,
  ): Repository {
    return this.store.tx(() => {
      if (this.findRepository(accountId, region, input.name)) {
        throw ecrErrors.repositoryAlreadyExists(input.name, accountId);
      }
      this.store
        .prepared(
          `INSERT INTO ecr_repositories (account, region, name, created_at, mutability, exclusion_filters, scanning, encryption, tags)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          accountId,
          region,
          input.name,
          this.rt.clock.now().getTime(),
          input.imageTagMutability,
          JSON.stringify(input.imageTagMutabilityExclusionFilters),
          JSON.stringify(input.imageScanningConfiguration),
          JSON.stringify(input.encryptionConfiguration),
          JSON.stringify(input.tags),
        );
      return this.getRepository(accountId, region, input.name);
    });
  }

  updateRepository(
    repo: Repository,
    fields: Partial<{
      mutability: TagMutability;
      exclusion_filters: string;
      tags: string;
      policy: string | null;
      lifecycle: string | null;
      lifecycle_evaluated_at: number | null;
      scanning: string;
    }>,
  ): Repository {
    const keys = Object.keys(fields);
    if (keys.length > 0) {
      this.store
        .prepared(`UPDATE ecr_repositories SET ${keys.map((k) => `${k} = @${k}`).join(", ")} WHERE id = @id`)
        .run({ ...fields, id: repo.id });
    }
    return this.repositoryById(repo.id)!;
  }

  deleteRepository(repo: Repository, force: boolean): void {
    this.store.tx(() => {
      const count = this.store
        .prepared<[number], { n: number }>("SELECT count(*) AS n FROM ecr_images WHERE repo_id = ?")
        .get(repo.id)!.n;
      if (count > 0 && !force) throw ecrErrors.repositoryNotEmpty(repo.name, repo.accountId);
      this.store.prepared("DELETE FROM ecr_tags WHERE repo_id = ?").run(repo.id);
      this.store.prepared("DELETE FROM ecr_image_refs WHERE repo_id = ?").run(repo.id);
      this.store.prepared("DELETE FROM ecr_repositories WHERE id = ?").run(repo.id);
    });
  }

  accountSetting(accountId: string, region: string, name: string): string | undefined {
    return this.store
      .prepared<[string, string, string], { value: string }>(
        "SELECT value FROM ecr_account_settings WHERE account = ? AND region = ? AND name = ?",
      )
      .get(accountId, region, name)?.value;
  }

  putAccountSetting(accountId: string, region: string, name: string, value: string): void {
    this.store
      .prepared(
        `INSERT INTO ecr_account_settings (account, region, name, value) VALUES (?, ?, ?, ?)
         ON CONFLICT(account, region, name) DO UPDATE SET value = excluded.value`,
      )
      .run(accountId, region, name, value);
  }

  // ---- blobs in a repository --------------------------------------------------------------

  /** Size of a blob visible in the repository (uploaded/mounted there, or referenced by one of its images). */
  async layerSize(repo: Repository, digest: string): Promise<number | undefined> {
    if (!isDigest(digest)) return undefined;
    const linked = this.store
      .prepared<[number, string, number, string, number, string], { n: number }>(
        `SELECT 1 AS n FROM ecr_layers WHERE repo_id = ? AND digest = ?
         UNION ALL SELECT 1 FROM ecr_image_refs WHERE repo_id = ? AND child = ?
         UNION ALL SELECT 1 FROM ecr_images WHERE repo_id = ? AND digest = ? LIMIT 1`,
      )
      .get(repo.id, digest, repo.id, digest, repo.id, digest);
    if (!linked) return undefined;
    return this.blobs.size(digest);
  }

  /** Whether any image in the repository references the blob (ECR's GetDownloadUrlForLayer rule). */
  layerReferenced(repo: Repository, digest: string): boolean {
    return Boolean(
      this.store
        .prepared("SELECT 1 FROM ecr_image_refs WHERE repo_id = ? AND child = ? LIMIT 1")
        .get(repo.id, digest),
    );
  }

  layerMediaType(repo: Repository, digest: string): string | undefined {
    return (
      this.store
        .prepared<[number, string], { media_type: string | null }>(
          "SELECT media_type FROM ecr_image_refs WHERE repo_id = ? AND child = ? AND media_type IS NOT NULL LIMIT 1",
        )
        .get(repo.id, digest)?.media_type ?? undefined
    );
  }

  linkLayer(repo: Repository, digest: string, size: number): void {
    this.store
      .prepared("INSERT OR IGNORE INTO ecr_layers (repo_id, digest, size, created_at) VALUES (?, ?, ?, ?)")
      .run(repo.id, digest, size, this.rt.clock.now().getTime());
  }

  /**
   * Cross-repository mount (ecr-registry.md §6.6): only blobs referenced by a manifest in the source
   * are mountable unless `anyLinked`. Returns the size when mounted.
   */
  async mount(
    target: Repository,
    source: Repository,
    digest: string,
    anyLinked: boolean,
  ): Promise<number | undefined> {
    if (!isDigest(digest)) return undefined;
    const ok = anyLinked
      ? (await this.layerSize(source, digest)) !== undefined
      : this.layerReferenced(source, digest);
    if (!ok) return undefined;
    const size = await this.blobs.size(digest);
    if (size === undefined) return undefined;
    this.linkLayer(target, digest, size);
    return size;
  }

  // ---- uploads ------------------------------------------------------------------------------

  async createUpload(
    repo: Repository,
    principalArn: string | undefined,
    alg: DigestAlgorithm = "sha256",
  ): Promise<UploadSession> {
    const id = this.rt.ids.uuid();
    await this.blobs.createUpload(id, alg);
    const now = this.rt.clock.now().getTime();
    this.store
      .prepared(
        "INSERT INTO ecr_uploads (id, repo_id, principal_arn, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(id, repo.id, principalArn ?? null, now, now);
    return this.getUpload(repo, id)!;
  }

  getUpload(repo: Repository, id: string): UploadSession | undefined {
    const row = this.store
      .prepared<
        [string, number],
        {
          id: string;
          repo_id: number;
          principal_arn: string | null;
          created_at: number;
          updated_at: number;
          parts: string;
        }
      >("SELECT * FROM ecr_uploads WHERE id = ? AND repo_id = ?")
      .get(id, repo.id);
    if (!row) return undefined;
    return {
      id: row.id,
      repoId: row.repo_id,
      ...(row.principal_arn ? { principalArn: row.principal_arn } : {}),
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      parts: JSON.parse(row.parts),
    };
  }

  /** Appends a stream (or a part) to an upload; `expectedOffset` enforces ordered chunks. Returns the new size. */
  async appendUpload(
    upload: UploadSession,
    source: Readable | Buffer,
    expectedOffset?: number,
    part?: boolean,
  ): Promise<number> {
    const size = await this.blobs.append(upload.id, source, expectedOffset);
    const sets = ["updated_at = ?"];
    const args: unknown[] = [this.rt.clock.now().getTime()];
    if (part) {
      upload.parts.push(Buffer.isBuffer(source) ? source.length : 0);
      sets.push("parts = ?");
      args.push(JSON.stringify(upload.parts));
    }
    this.store.prepared(`UPDATE ecr_uploads SET ${sets.join(", ")} WHERE id = ?`).run(...args, upload.id);
    return size;
  }

  uploadSize(upload: UploadSession): Promise<number | undefined> {
    return this.blobs.uploadSize(upload.id);
  }

  /**
   * Verifies and publishes the upload as a blob linked to the repository; the session ends.
   * Throws DigestMismatch (the session is discarded, as distribution does).
   */
  async completeUpload(
    repo: Repository,
    upload: UploadSession,
    digest: string,
  ): Promise<{ digest: string; size: number }> {
    try {
      const out = await this.blobs.commit(upload.id, digest);
      this.store.tx(() => {
        this.linkLayer(repo, out.digest, out.size);
        this.store.prepared("DELETE FROM ecr_uploads WHERE id = ?").run(upload.id);
      });
      return out;
    } catch (err) {
      if (err instanceof DigestMismatch) await this.cancelUpload(upload);
      throw err;
    }
  }

  async cancelUpload(upload: UploadSession): Promise<void> {
    this.store.prepared("DELETE FROM ecr_uploads WHERE id = ?").run(upload.id);
    await this.blobs.removeUpload(upload.id);
  }

  // ---- images -------------------------------------------------------------------------------

  #image(row: ImageRow): Image {
    return {
      repoId: row.repo_id,
      digest: row.digest,
      mediaType: row.media_type,
      ...(row.artifact_type ? { artifactType: row.artifact_type } : {}),
      ...(row.subject ? { subject: row.subject } : {}),
      ...(row.config_media_type ? { configMediaType: row.config_media_type } : {}),
      ...(row.annotations ? { annotations: JSON.parse(row.annotations) } : {}),
      manifestSize: row.manifest_size,
      imageSize: row.image_size,
      pushedAt: new Date(row.pushed_at),
      ...(row.last_pull ? { lastPull: new Date(row.last_pull) } : {}),
      tags: row.tags ? (JSON.parse(row.tags) as string[]).sort() : [],
    };
  }

  static readonly #IMAGE_SELECT = `SELECT i.*, (SELECT json_group_array(t.tag) FROM ecr_tags t
      WHERE t.repo_id = i.repo_id AND t.digest = i.digest) AS tags FROM ecr_images i`;

  imageByDigest(repo: Repository, digest: string): Image | undefined {
    const row = this.store
      .prepared<[number, string], ImageRow>(`${EcrState.#IMAGE_SELECT} WHERE i.repo_id = ? AND i.digest = ?`)
      .get(repo.id, digest);
    return row ? this.#image(row) : undefined;
  }

  digestOfTag(repo: Repository, tag: string): string | undefined {
    return this.store
      .prepared<[number, string], { digest: string }>(
        "SELECT digest FROM ecr_tags WHERE repo_id = ? AND tag = ?",
      )
      .get(repo.id, tag)?.digest;
  }

  /** A tag or a digest → the image, or undefined. */
  resolve(repo: Repository, reference: string): Image | undefined {
    const digest = reference.includes(":") ? reference : this.digestOfTag(repo, reference);
    return digest ? this.imageByDigest(repo, digest) : undefined;
  }

  listImages(repo: Repository): Image[] {
    return this.store
      .prepared<[number], ImageRow>(
        `${EcrState.#IMAGE_SELECT} WHERE i.repo_id = ? ORDER BY i.pushed_at, i.digest`,
      )
      .all(repo.id)
      .map((r) => this.#image(r));
  }

  listTags(repo: Repository): string[] {
    return this.store
      .prepared<[number], { tag: string }>("SELECT tag FROM ecr_tags WHERE repo_id = ? ORDER BY tag")
      .all(repo.id)
      .map((r) => r.tag);
  }

  referrers(repo: Repository, subject: string): Image[] {
    return this.store
      .prepared<[number, string], ImageRow>(
        `${EcrState.#IMAGE_SELECT} WHERE i.repo_id = ? AND i.subject = ? ORDER BY i.digest`,
      )
      .all(repo.id, subject)
      .map((r) => this.#image(r));
  }

  /** Indexes in the repository that list `digest` as a child. */
  parentsOf(repo: Repository, digest: string): string[] {
    return this.store
      .prepared<[number, string], { digest: string }>(
        "SELECT digest FROM ecr_image_refs WHERE repo_id = ? AND child = ? AND kind = 'manifest'",
      )
      .all(repo.id, digest)
      .map((r) => r.digest);
  }

  manifestBytes(digest: string): Promise<Buffer> {
    return this.blobs.readAll(digest);
  }

  recordPull(repo: Repository, digest: string): void {
    this.store
      .prepared("UPDATE ecr_images SET last_pull = ? WHERE repo_id = ? AND digest = ?")
      .run(this.rt.clock.now().getTime(), repo.id, digest);
  }

  /** Whether a tag is immutable under the repository's mutability setting and exclusion filters. */
  tagImmutable(repo: Repository, tag: string): boolean {
    const m = repo.imageTagMutability;
    if (m === "MUTABLE") return false;
    if (m === "IMMUTABLE") return true;
    const excluded = repo.imageTagMutabilityExclusionFilters.some((f) => wildcardMatch(f.filter, tag));
    return m === "IMMUTABLE_WITH_EXCLUSION" ? !excluded : excluded;
  }

  /**
   * Stores a manifest (byte-exact) and moves the tag, applying ECR's rules (ecr-registry.md §3.1, §4
   * PutImage). Errors are ECR's; the registry maps them to OCI codes.
   */
  async putImage(
    repo: Repository,
    bytes: Buffer,
    opts: { mediaType?: string; tag?: string; digest?: string; via: Via },
  ): Promise<PutImageResult> {
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(bytes, opts.mediaType);
    } catch (err) {
      if (err instanceof ManifestInvalid) throw ecrErrors.invalidParameter(err.message);
      throw err;
    }
    if (opts.tag !== undefined && !isTag(opts.tag)) {
      throw ecrErrors.invalidParameter(
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}''",
      );
    }
    const alg: DigestAlgorithm = opts.digest?.startsWith("sha512:") ? "sha512" : "sha256";
    const digest = await this.blobs.putBytes(bytes, alg);
    if (opts.digest !== undefined && opts.digest !== digest)
      throw ecrErrors.imageDigestDoesNotMatch(opts.digest, digest);
    for (const b of parsed.blobs) {
      if (b.foreign) continue;
      if ((await this.layerSize(repo, b.digest)) === undefined) {
        throw ecrErrors.layersNotFound(b.digest, repo.name, repo.accountId);
      }
    }
    for (const c of parsed.children) {
      if (!this.imageByDigest(repo, c.digest))
        throw ecrErrors.referencedImagesNotFound(c.digest, repo.name, repo.accountId);
    }
    const now = this.rt.clock.now().getTime();
    const result = this.store.tx((): PutImageResult => {
      const fresh = this.repositoryById(repo.id);
      if (!fresh) throw ecrErrors.repositoryNotFound(repo.name, repo.accountId);
      const existing = this.imageByDigest(fresh, digest);
      const tagged = opts.tag === undefined ? undefined : this.digestOfTag(fresh, opts.tag);
      if (opts.tag !== undefined && tagged !== undefined) {
        if (this.tagImmutable(fresh, opts.tag)) throw ecrErrors.imageTagAlreadyExists(opts.tag, fresh.name);
        if (tagged === digest && opts.via === "api") {
          throw ecrErrors.imageAlreadyExists(digest, opts.tag, fresh.name, fresh.accountId);
        }
      }
      if (opts.tag === undefined && existing && opts.via === "api") {
        throw ecrErrors.imageAlreadyExists(digest, "", fresh.name, fresh.accountId);
      }
      let changed = false;
      if (!existing) {
        changed = true;
        this.store
          .prepared(
            `INSERT INTO ecr_images (repo_id, digest, media_type, artifact_type, subject, config_media_type, annotations,
               manifest_size, image_size, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            fresh.id,
            digest,
            parsed.mediaType,
            parsed.artifactType ?? null,
            parsed.subject ?? null,
            parsed.configMediaType ?? null,
            parsed.annotations ? JSON.stringify(parsed.annotations) : null,
            bytes.length,
            parsed.isIndex ? bytes.length : parsed.imageSize,
            now,
          );
        const ref = this.store.prepared(
          "INSERT OR IGNORE INTO ecr_image_refs (repo_id, digest, child, kind, media_type, size) VALUES (?, ?, ?, ?, ?, ?)",
        );
        for (const b of parsed.blobs)
          ref.run(fresh.id, digest, b.digest, b.kind, b.mediaType ?? null, b.size);
        for (const c of parsed.children)
          ref.run(fresh.id, digest, c.digest, "manifest", c.mediaType ?? null, c.size);
      }
      if (opts.tag !== undefined && tagged !== digest) {
        changed = true;
        this.store
          .prepared(
            `INSERT INTO ecr_tags (repo_id, tag, digest) VALUES (?, ?, ?)
             ON CONFLICT(repo_id, tag) DO UPDATE SET digest = excluded.digest`,
          )
          .run(fresh.id, opts.tag, digest);
      }
      return { image: this.imageByDigest(fresh, digest)!, changed, manifest: parsed };
    });
    if (result.changed) this.applyLifecycle(repo);
    return result;
  }

  /** Removes one tag; an image left without tags stays (untagged), as in ECR's registry delete-by-tag. */
  untag(repo: Repository, tag: string): string | undefined {
    return this.store.tx(() => {
      const digest = this.digestOfTag(repo, tag);
      if (digest) this.store.prepared("DELETE FROM ecr_tags WHERE repo_id = ? AND tag = ?").run(repo.id, tag);
      return digest;
    });
  }

  /** Deletes an image and all its tags; refuses images an index in the repository still lists. */
  deleteImage(repo: Repository, digest: string): "deleted" | "not-found" | "referenced" {
    return this.store.tx(() => {
      if (!this.imageByDigest(repo, digest)) return "not-found";
      if (this.parentsOf(repo, digest).length > 0) return "referenced";
      this.store.prepared("DELETE FROM ecr_tags WHERE repo_id = ? AND digest = ?").run(repo.id, digest);
      this.store.prepared("DELETE FROM ecr_image_refs WHERE repo_id = ? AND digest = ?").run(repo.id, digest);
      this.store.prepared("DELETE FROM ecr_images WHERE repo_id = ? AND digest = ?").run(repo.id, digest);
      return "deleted";
    });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Applies the repository's lifecycle policy now; returns the expired digests. */
  applyLifecycle(repo: Repository): string[] {
    const fresh = this.repositoryById(repo.id);
    if (!fresh?.lifecycle) return [];
    const parsed = validateLifecyclePolicy(fresh.lifecycle);
    if ("problem" in parsed) return [];
    const now = this.rt.clock.now();
    const images = this.listImages(fresh);
    // Images listed by an index are kept with it, not expired separately (ecr-registry.md §7, uncertain).
    const children = new Set(images.flatMap((i) => this.childrenOf(fresh, i.digest)));
    const expired = evaluateLifecycle(
      parsed.rules,
      images.filter((i) => !children.has(i.digest)),
      now,
    );
    const done: string[] = [];
    for (const digest of expired) {
      if (this.deleteImage(fresh, digest) === "deleted") {
        done.push(digest);
        this.#log(`ecr lifecycle PolicyExecutionEvent: expired ${fresh.name}@${digest}`);
      }
    }
    this.updateRepository(fresh, { lifecycle_evaluated_at: now.getTime() });
    return done;
  }

  childrenOf(repo: Repository, digest: string): string[] {
    return this.store
      .prepared<[number, string], { child: string }>(
        "SELECT child FROM ecr_image_refs WHERE repo_id = ? AND digest = ? AND kind = 'manifest'",
      )
      .all(repo.id, digest)
      .map((r) => r.child);
  }

  // ---- housekeeping -------------------------------------------------------------------------

  /** Whether anything still references a blob: a layer link, an image, or an image reference. */
  referenced(digest: string): boolean {
    return Boolean(
      this.store
        .prepared(
          `SELECT 1 FROM ecr_layers WHERE digest = ? UNION ALL SELECT 1 FROM ecr_images WHERE digest = ?
           UNION ALL SELECT 1 FROM ecr_image_refs WHERE child = ? LIMIT 1`,
        )
        .get(digest, digest, digest),
    );
  }

  /**
   * Purges idle upload sessions and orphaned upload files, then deletes blobs nothing references
   * (mark = the SQLite rows, sweep = the files). Runs at startup and on a timer, never in a request.
   */
  async housekeeping(graceMs = this.gcGraceMs): Promise<{ uploads: string[]; blobs: string[] }> {
    const now = this.rt.clock.now();
    const stale = this.store
      .prepared<[number], { id: string }>("SELECT id FROM ecr_uploads WHERE updated_at < ?")
      .all(now.getTime() - this.uploadTtlMs);
    for (const { id } of stale) {
      this.store.prepared("DELETE FROM ecr_uploads WHERE id = ?").run(id);
      await this.blobs.removeUpload(id);
    }
    const live = this.store.prepared<[string], { n: number }>("SELECT 1 AS n FROM ecr_uploads WHERE id = ?");
    const uploads = await this.blobs.cleanOrphanUploads(now, Math.min(graceMs, this.uploadTtlMs), (id) =>
      Boolean(live.get(id)),
    );
    const blobs = await this.blobs.sweep(now, graceMs, (d) => this.referenced(d));
    return { uploads: [...stale.map((s) => s.id), ...uploads], blobs };
  }
}

function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

export { DigestMismatch, EcrError };
