// URL grammar of the OCI Distribution API under /v2/ (distribution-spec v1.1 "Endpoints") and the
// Route entries the front door dispatches to registry/handlers.ts.
import type { Route } from "../core/service.ts";
import { LAYER_URL_PREFIX } from "../ecr/layer-url.ts";
import { handleLayerUrl, handleRegistry, type RegistryDeps } from "./handlers.ts";

export type RegistryPath =
  | { kind: "base" }
  | { kind: "catalog" }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; uuid: string }
  | { kind: "tags"; name: string }
  | { kind: "referrers"; name: string; digest: string };

// <name> may contain '/', so the endpoint is found from the end of the path; the regex engine
// backtracks to the split that leaves a valid tail (a repository may be called ".../blobs").
const PATH_RE =
  /^\/v2\/(.+?)\/(?:manifests\/([^/]+)|blobs\/uploads\/?([^/]*)|blobs\/([^/]+)|tags\/list|referrers\/([^/]+))$/;

export function parseRegistryPath(pathname: string): RegistryPath | undefined {
  if (pathname === "/v2/" || pathname === "/v2") return { kind: "base" };
  if (pathname === "/v2/_catalog") return { kind: "catalog" };
  const m = PATH_RE.exec(pathname);
  if (!m) return undefined;
  const name = m[1]!;
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (m[2] !== undefined) return { kind: "manifest", name, reference: dec(m[2]) };
  if (m[3] !== undefined)
    return m[3] === "" ? { kind: "uploads", name } : { kind: "upload", name, uuid: dec(m[3]) };
  if (m[4] !== undefined) return { kind: "blob", name, digest: dec(m[4]) };
  if (m[5] !== undefined) return { kind: "referrers", name, digest: dec(m[5]) };
  return { kind: "tags", name };
}

export function createRegistryRoutes(deps: RegistryDeps): Route[] {
  return [
    { path: /^\/v2(\/.*)?$/, handler: (req, res, ctx) => handleRegistry(req, res, ctx, deps) },
    {
      method: "GET",
      path: LAYER_URL_PREFIX,
      handler: (req, res, ctx) => handleLayerUrl(req, res, ctx, deps),
    },
  ];
}
