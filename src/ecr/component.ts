// The ECR component: the image store (ecr/state.ts over store/blobs.ts), the ECR API service, the
// /v2/ registry routes, and the image resolver other components (the ECS runtime) pull through.
import type { Principal, Route, Service, TwinRuntime } from "../core/service.ts";
import type { Authorize } from "../http/serve.ts";
import { createRegistryRoutes } from "../registry/routes.ts";
import { openBlobStore } from "../store/blobs.ts";
import type { Store } from "../store/sqlite.ts";
import { newTokenSecret } from "./auth-token.ts";
import { createImageSource, type ImageSource } from "./image-source.ts";
import { signLayerUrl } from "./layer-url.ts";
import { createEcrService, type RegistryHostStrategy } from "./operations.ts";
import { EcrState } from "./state.ts";

export interface EcrOptions {
  store: Store;
  rt: TwinRuntime;
  authorize: Authorize;
  /** the principal behind an access key id (IAM user keys, STS sessions), undefined when it no longer resolves */
  resolveAccessKey: (accessKeyId: string, sessionToken?: string) => Principal | undefined;
  /** how repositoryUri/proxyEndpoint spell the registry (ecr-registry.md §1.2). Default "port-only":
   *  http://127.0.0.1:PORT, which needs no DNS; "subdomain" gives {acct}.dkr.ecr.{region}.localhost:PORT */
  registryHost?: RegistryHostStrategy;
  /** GetAuthorizationToken lifetime. Default 12 h, as ECR. */
  tokenLifetimeMs?: number;
  /** cross-repository mounts: "ecr" (default: needs BLOB_MOUNTING=ENABLED and a referenced blob) or "any" */
  mountPolicy?: "ecr" | "any";
  /** allow DELETE /v2/<name>/blobs/<digest> (ECR answers 405). Default false. */
  allowBlobDelete?: boolean;
  /** idle upload sessions are purged after this. Default 24 h. */
  uploadTtlMs?: number;
  /** unreferenced blobs are deleted once this old. Default 1 h. */
  gcGraceMs?: number;
  /** housekeeping period (orphans, idle uploads, unreferenced blobs). Default 10 min; 0 = only at start. */
  housekeepingIntervalMs?: number;
  log?: (line: string) => void;
}

export interface EcrComponent {
  service: Service;
  routes: Route[];
  images: ImageSource;
  state: EcrState;
  /** runs housekeeping now (tests; `keyship ecr gc`) */
  housekeeping(graceMs?: number): Promise<{ uploads: string[]; blobs: string[] }>;
  close(): Promise<void>;
}

const TOKEN_SECRET_SETTING = "ecr.tokenSecret";

export function createEcr(options: EcrOptions): EcrComponent {
  const { store, rt } = options;
  const log = options.log ?? (() => {});
  let tokenSecret = store.getSetting(TOKEN_SECRET_SETTING);
  if (!tokenSecret) {
    tokenSecret = newTokenSecret();
    store.setSetting(TOKEN_SECRET_SETTING, tokenSecret);
  }
  const secret = tokenSecret;
  const blobs = openBlobStore(store.dir);
  const state = new EcrState(store, blobs, rt, {
    ...(options.uploadTtlMs !== undefined ? { uploadTtlMs: options.uploadTtlMs } : {}),
    ...(options.gcGraceMs !== undefined ? { gcGraceMs: options.gcGraceMs } : {}),
    log,
  });
  const registryHost = options.registryHost ?? "port-only";
  const service = createEcrService({
    state,
    tokenSecret: secret,
    registryHost,
    ...(options.tokenLifetimeMs !== undefined ? { tokenLifetimeMs: options.tokenLifetimeMs } : {}),
    signLayerUrl: (baseUrl, repo, digest, now) =>
      signLayerUrl(
        secret,
        baseUrl,
        { accountId: repo.accountId, region: repo.region, repositoryName: repo.name, digest },
        now,
      ),
  });
  const routes = createRegistryRoutes({
    state,
    rt,
    tokenSecret: secret,
    authorize: options.authorize,
    resolveAccessKey: options.resolveAccessKey,
    mountPolicy: options.mountPolicy ?? "ecr",
    allowBlobDelete: options.allowBlobDelete ?? false,
    log,
  });
  const images = createImageSource({ state, rt, tokenSecret: secret, registryHost });

  let running: Promise<unknown> = Promise.resolve();
  const housekeeping = (graceMs?: number) => {
    const run = running.then(() => state.housekeeping(graceMs));
    running = run.catch((err) => log(`ecr housekeeping failed: ${(err as Error).stack ?? err}`));
    return run;
  };
  // At start: a crash may have left upload files without sessions, and blobs whose rows never landed.
  void housekeeping();
  const period = options.housekeepingIntervalMs ?? 10 * 60_000;
  const timer = period > 0 ? setInterval(() => void housekeeping(), period) : undefined;
  timer?.unref();

  return {
    service,
    routes,
    images,
    state,
    housekeeping,
    async close() {
      if (timer) clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
