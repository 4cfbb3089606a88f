// Composition root: config → store → components → front door. Nothing else wires.
import { readFileSync } from "node:fs";
import { resolveConfig, type TwinOptions } from "./config.ts";
import type { CredentialSource, Route, Service, TwinRuntime } from "./core/service.ts";
import { createEcr } from "./ecr/component.ts";
import { createEcs } from "./ecs/component.ts";
import { keyshipRoutes } from "./http/keyship-routes.ts";
import { type Authorize, createFrontDoor, listen } from "./http/serve.ts";
import { createAuthorizer } from "./iam/authorize.ts";
import { createIam } from "./iam/component.ts";
import { DecisionLog } from "./iam/decisions.ts";
import { createOidc } from "./oidc/component.ts";
import { openStore } from "./store/sqlite.ts";
import { createSts } from "./sts/operations.ts";

export type { TwinOptions } from "./config.ts";

export interface Twin {
  url: string;
  port: number;
  accountId: string;
  region: string;
  stateDir: string;
  /** the bootstrap admin's keys (allowed everything through AdministratorAccess) */
  admin: { userName: string; accessKeyId: string; secretAccessKey: string };
  /** the ECS task runtime in use: docker or simulated */
  runtime: string;
  close(): Promise<void>;
}

export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export async function startTwin(options: TwinOptions): Promise<Twin> {
  const store = openStore(options.stateDir);
  // A state belongs to one account: the first start records it, later starts keep it unless told.
  const accountId = options.accountId ?? store.getSetting("accountId");
  const config = resolveConfig({ ...options, accountId });
  store.setSetting("accountId", config.accountId);
  const rt: TwinRuntime = {
    clock: config.clock,
    ids: config.ids,
    accountId: config.accountId,
    region: config.region,
  };
  const decisions = new DecisionLog(store);

  const services: Service[] = [];
  const routes: Route[] = [];
  const credentials: CredentialSource[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  let runtimeName = "none";

  // --- components, in dependency order (each adds its services, routes and credentials) ---
  const iam = createIam(store, rt);
  const admin = iam.bootstrapAdmin();
  services.push(iam.service);
  credentials.push(iam.credentials);
  const authorize: Authorize = options.benchmarkWithoutAuthorization
    ? () => {}
    : createAuthorizer({ directory: iam.directory, decisions });

  const oidc = createOidc(store, rt, { ttlSeconds: config.tokenLifetimeSeconds, ...options.oidc });
  routes.push(...oidc.routes);
  const sts = createSts({
    store,
    rt,
    iam: iam.directory,
    oidc,
    decisions,
    ...(options.sts ? { options: options.sts } : {}),
  });
  services.push(sts.service);
  credentials.push(sts.credentials);

  const ecr = createEcr({
    store,
    rt,
    authorize,
    // Re-resolved per registry request, so sources added later (STS sessions) count too.
    resolveAccessKey: (id, sessionToken) => {
      for (const source of credentials) {
        const found = source.lookup(id, sessionToken);
        if (found) return found.principal;
      }
      return undefined;
    },
    log: config.log,
  });
  services.push(ecr.service);
  routes.push(...ecr.routes);
  closers.push(() => ecr.close());

  let twinUrl: string | undefined;
  const ecs = createEcs({
    store,
    rt,
    images: ecr.images,
    baseUrl: () => twinUrl,
    // ECR images are pulled as the task's execution role (assumed as ecs-tasks.amazonaws.com); the admin's
    // key stands in for the container instance role of EC2 tasks without one
    assumeRole: sts.assumeRoleForService,
    authorize,
    pullAccessKeyId: () => admin.accessKeyId,
    ...(options.secureTransport ? { secureTransport: true } : {}),
    runtime: config.runtime,
    options: options.ecs,
    log: config.log,
  });
  services.push(ecs.service);
  routes.push(...ecs.routes);
  closers.push(() => ecs.close());

  routes.unshift(
    ...keyshipRoutes({
      decisions,
      health: () => ({
        status: "ok",
        version: VERSION,
        account: config.accountId,
        region: config.region,
        runtime: runtimeName,
      }),
    }),
  );

  const server = createFrontDoor({
    services,
    routes,
    credentials,
    authorize,
    clock: config.clock,
    ids: config.ids,
    accountId: config.accountId,
    region: config.region,
    log: config.log,
    ...(options.secureTransport ? { secureTransport: true } : {}),
  });
  const { url, port } = await listen(server, config.port, config.host);
  twinUrl = url;
  // `keyship env` prints the URL the state was last served on (port 0 picks one at random).
  store.setSetting("url", url);
  await ecs.start();
  runtimeName = ecs.runtimeName;

  let closed = false;
  return {
    url,
    port,
    accountId: config.accountId,
    region: config.region,
    stateDir: config.stateDir,
    admin,
    runtime: runtimeName,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const close of closers.reverse()) await close();
      decisions.flush();
      store.close();
    },
  };
}
