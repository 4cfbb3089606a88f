// Image references (`host[:port]/repo[:tag][@sha256:…]`) and ECR registry hosts.

export interface ImageRef {
  /** Registry host with port, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com` or `127.0.0.1:5000`. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Parses a fully qualified reference. The first component is a registry when it contains `.` or `:` or is
 * `localhost` (the rule docker's reference package uses); otherwise the reference is not for a registry we push to.
 */
export function parseImageRef(text: string): ImageRef | undefined {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) return undefined;
  }
  const slash = rest.indexOf("/");
  if (slash < 0) return undefined;
  const registry = rest.slice(0, slash);
  if (!(registry.includes(".") || registry.includes(":") || registry === "localhost")) return undefined;
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) return undefined;
  }
  // Repository grammar from the distribution spec: path components of lowercase alphanumerics and separators.
  const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  if (!new RegExp(`^${component}(?:/${component})*$`).test(path)) return undefined;
  return {
    registry,
    repository: path,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Account and region of an ECR registry host (`{acct}.dkr.ecr.{region}.amazonaws.com[.cn]` or a twin's `.localhost`). */
export function ecrRegistryOf(host: string): { accountId: string; region: string } | undefined {
  const m =
    /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|localhost)(?::\d+)?$/.exec(host);
  return m ? { accountId: m[1]!, region: m[2]! } : undefined;
}
