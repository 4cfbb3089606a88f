// The data sources keyship answers: aws_iam_policy_document (pure), aws_caller_identity (STS),
// aws_region, aws_partition, and tls_certificate (the OIDC issuer's certificate fingerprints).
import { createHash, X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { renderPolicyDocument } from "./policy-document.ts";
import type { ResourceContext } from "./resource-type.ts";
import type { Value } from "./value.ts";

export interface DataSourceContext extends ResourceContext {
  /** the twin's base URL when applying against the twin (AWS_ENDPOINT_URL), else undefined */
  twinUrl?: string;
}

export type DataSource = (
  args: Record<string, Value>,
  ctx: DataSourceContext,
) => Promise<Record<string, Value>>;

export const dataSources: Record<string, DataSource> = {
  aws_iam_policy_document: async (args) => ({ ...args, ...renderPolicyDocument(args) }),
  aws_caller_identity: async (_args, ctx) => {
    const out = await ctx.clients.sts.send(new GetCallerIdentityCommand({}));
    return {
      id: out.Account ?? "",
      account_id: out.Account ?? "",
      arn: out.Arn ?? "",
      user_id: out.UserId ?? "",
    };
  },
  aws_region: async (_args, ctx) => ({
    id: ctx.region,
    name: ctx.region,
    region: ctx.region,
    endpoint: `ec2.${ctx.region}.amazonaws.com`,
    description: ctx.region,
  }),
  aws_partition: async (_args, ctx) => ({
    id: ctx.partition,
    partition: ctx.partition,
    dns_suffix: "amazonaws.com",
    reverse_dns_prefix: "com.amazonaws",
  }),
  tls_certificate: async (args, ctx) => {
    const url = String(args.url ?? "");
    const certificates = ctx.twinUrl
      ? await twinIssuerCertificates(ctx.twinUrl)
      : await peerCertificates(url);
    return { ...args, id: url, url, certificates };
  },
};

type CertAttrs = Record<string, Value>;

function certAttrs(der: Buffer, isCa: boolean): CertAttrs {
  const c = new X509Certificate(der);
  return {
    sha1_fingerprint: createHash("sha1").update(der).digest("hex"),
    subject: c.subject.replaceAll("\n", ","),
    issuer: c.issuer.replaceAll("\n", ","),
    serial_number: c.serialNumber,
    not_before: new Date(c.validFrom).toISOString(),
    not_after: new Date(c.validTo).toISOString(),
    is_ca: isCa,
    cert_pem: c.toString(),
    signature_algorithm: "",
    public_key_algorithm: c.publicKey.asymmetricKeyType ?? "",
    version: 3,
  };
}

/**
 * Against the twin, the issuer URL in the configuration (https://token.actions.githubusercontent.com)
 * is not something to dial: the twin's issuer is answered instead. Its JWKS carries x5c certificates
 * when it holds them; otherwise the fingerprint is the SHA-1 of the JWKS document (IAM ignores the
 * thumbprint for this issuer anyway, see https://github.blog/changelog/2023-07-13-github-actions-oidc-integration-with-aws-no-longer-requires-pinning-of-intermediate-tls-certificates/).
 */
async function twinIssuerCertificates(twinUrl: string): Promise<CertAttrs[]> {
  const res = await fetch(new URL("/.well-known/jwks", twinUrl));
  const text = await res.text();
  let keys: { x5c?: string[] }[] = [];
  try {
    keys = (JSON.parse(text) as { keys?: { x5c?: string[] }[] }).keys ?? [];
  } catch {}
  const chain = keys.find((k) => k.x5c?.length)?.x5c;
  if (chain) return chain.map((b64, i) => certAttrs(Buffer.from(b64, "base64"), i > 0));
  return [{ sha1_fingerprint: createHash("sha1").update(text).digest("hex"), is_ca: false }];
}

/** Against real endpoints: the TLS chain the server presents, root first (as the tls provider lists it). */
async function peerCertificates(url: string): Promise<CertAttrs[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 443), servername: u.hostname }, () => {
      const chain: CertAttrs[] = [];
      let cert = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        chain.push(certAttrs(cert.raw, chain.length > 0));
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(chain.reverse());
    });
    socket.on("error", reject);
  });
}
