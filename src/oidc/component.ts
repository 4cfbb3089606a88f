// The OIDC issuer as a twin component: keys, subject customizations, issuer, routes, and the key
// resolver STS verifies web identity tokens with (its own issuer in-process, others over HTTP).
import { resolve } from "node:path";
import type { Route, TwinRuntime } from "../core/service.ts";
import { openStore, type Store } from "../store/sqlite.ts";
import { SubCustomizations } from "./customization.ts";
import { Issuer, type IssuerOptions } from "./issuer.ts";
import { KeyStore } from "./keys.ts";
import { oidcRoutes } from "./routes.ts";
import { KeyResolver, type KeyResolverOptions } from "./verify.ts";

export interface OidcOptions extends IssuerOptions {
  /** how long a retired signing key stays published (default 86400 s) */
  rotationOverlapSeconds?: number;
  /** other issuers STS may verify: mapped base URLs, network access, timeouts */
  verification?: Omit<KeyResolverOptions, "local">;
}

export interface Oidc {
  routes: Route[];
  issuer: Issuer;
  customizations: SubCustomizations;
  keyResolver: KeyResolver;
}

export function createOidc(store: Store, rt: TwinRuntime, options: OidcOptions = {}): Oidc {
  const keys = new KeyStore(store.dir, {
    clock: rt.clock,
    ...(options.rotationOverlapSeconds !== undefined
      ? { rotationOverlapSeconds: options.rotationOverlapSeconds }
      : {}),
  });
  const customizations = new SubCustomizations(store);
  const issuer = new Issuer({ keys, clock: rt.clock, ids: rt.ids, customizations, options });
  const keyResolver = new KeyResolver({
    ...options.verification,
    local: { [issuer.iss]: (fresh) => issuer.jwks(fresh) },
  });
  return { routes: oidcRoutes(issuer, customizations), issuer, customizations, keyResolver };
}

/** The issuer of a state dir without a running twin (keyship token, job-env, explain). */
export function openIssuer(
  store: Store,
  rt: Pick<TwinRuntime, "clock" | "ids">,
  options: IssuerOptions = {},
): Issuer {
  const keys = new KeyStore(store.dir, { clock: rt.clock });
  return new Issuer({
    keys,
    clock: rt.clock,
    ids: rt.ids,
    customizations: new SubCustomizations(store),
    options,
  });
}

/**
 * Opens a state dir's store and its issuer (with `iss` set to `issuerUrl` when one is given) for
 * `use`, and closes the store afterwards: keyship token, job-env and explain.
 */
export async function withStateIssuer<T>(
  stateDir: string,
  rt: Pick<TwinRuntime, "clock" | "ids">,
  issuerUrl: string | undefined,
  use: (issuer: Issuer, store: Store) => Promise<T>,
): Promise<T> {
  const store = openStore(resolve(stateDir));
  try {
    return await use(openIssuer(store, rt, issuerUrl ? { issuer: issuerUrl } : {}), store);
  } finally {
    store.close();
  }
}
