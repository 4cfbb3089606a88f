// Asks an endpoint for the policy engine's explanation of its latest denial. Only the twin answers this
// (`GET {endpoint}/_keyship/decisions?denied=1&limit=1`); against AWS it is never called.

interface DecisionRecord {
  message?: string;
  decision?: string;
  explanation?: string;
  action?: string;
}

/** The `explanation` of the newest denied decision, or undefined when the endpoint does not answer that route. */
export async function engineExplanation(
  endpoint: string | undefined,
  options: { fetch?: typeof fetch; timeoutMs?: number; action?: string } = {},
): Promise<string | undefined> {
  if (!endpoint) return undefined;
  try {
    const url = new URL("/_keyship/decisions?denied=1&limit=5", endpoint);
    const res = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    if (!res.ok) return undefined;
    const records = (await res.json()) as DecisionRecord[];
    if (!Array.isArray(records)) return undefined;
    const match = options.action ? records.find((r) => r.action === options.action) : records[0];
    const r = match ?? records[0];
    return r?.explanation ?? r?.message;
  } catch {
    return undefined;
  }
}

/** The endpoint a service's calls go to when one is configured (the SDK's own variables). */
export function configuredEndpoint(
  env: NodeJS.ProcessEnv,
  service: "STS" | "ECR" | "ECS" | "IAM",
): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}
