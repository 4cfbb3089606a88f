// Requests a GitHub Actions OIDC token from the runner's endpoint, as @actions/core's OidcClient does.
// https://docs.github.com/en/actions/reference/security/oidc#methods-for-requesting-the-oidc-token
import { CredentialsError } from "./errors.ts";

export interface TokenRequest {
  url: string;
  bearer: string;
}

export function tokenRequestFromEnv(env: NodeJS.ProcessEnv): TokenRequest | undefined {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  return url && bearer ? { url, bearer } : undefined;
}

/**
 * GET the URL with `&audience=` appended (GitHub's URL already carries `?api-version=2.0`); the answer is
 * `{"count":…,"value":"<jwt>"}`. Retries 502/503/504 and network errors like @actions/http-client.
 */
export async function requestIdToken(
  req: TokenRequest,
  audience: string,
  options: { fetch?: typeof fetch; attempts?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const url = new URL(req.url);
  if (audience) url.searchParams.set("audience", audience);
  const attempts = options.attempts ?? 5;
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await doFetch(url, {
        headers: {
          Authorization: `Bearer ${req.bearer}`,
          Accept: "application/json",
          "User-Agent": "actions/oidc-client",
        },
      });
      const text = await res.text();
      if (res.ok) {
        const value = (JSON.parse(text) as { value?: unknown }).value;
        if (typeof value !== "string" || value === "") {
          throw new CredentialsError(
            "token-request-failed",
            "The OIDC token endpoint answered without a token (no `value`).",
          );
        }
        return value;
      }
      last = `${res.status} ${text.slice(0, 300)}`;
      if (![502, 503, 504].includes(res.status)) break;
    } catch (e) {
      if (e instanceof CredentialsError) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (attempt < attempts) await sleep(Math.min(8000, 250 * 2 ** attempt * Math.random()));
  }
  throw new CredentialsError("token-request-failed", `Could not get an OIDC token from the runner: ${last}`, [
    `URL: ${url.origin}${url.pathname} (audience ${audience || "(default)"})`,
  ]);
}
