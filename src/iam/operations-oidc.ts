// IAM OpenID Connect identity providers (sts.md §6): the URL is stored without `https://`, the ARN is
// arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]. The twin never fetches the issuer's certificate: without
// a ThumbprintList it stores the SHA-1 hex of the URL as a stand-in thumbprint.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
import { createHash } from "node:crypto";
import type { Operation, RequestContext } from "../core/service.ts";
import { EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity, ValidationError } from "./errors.ts";
import type { OidcProvider } from "./model.ts";
import { createChecks, type IamDeps, tagsOf } from "./operations-context.ts";
import { checkInput, listOf, required, shapes } from "./operations-input.ts";
import { tagOperations } from "./operations-tags.ts";
import { resourceTagContext } from "./tag-keys.ts";

const THUMBPRINTS_PER_PROVIDER = 5;
const CLIENT_IDS_PER_PROVIDER = 100;
const PROVIDERS_PER_ACCOUNT = 100;

function checkThumbprints(list: string[]): void {
  const problems = list.flatMap((t, i) =>
    t.length === 40
      ? []
      : [
          `Value '${t}' at 'thumbprintList.${i + 1}.member' failed to satisfy constraint: Member must have length ${t.length < 40 ? "greater" : "less"} than or equal to 40`,
        ],
  );
  if (problems.length > 0) throw new ValidationError(problems);
  if (list.length > THUMBPRINTS_PER_PROVIDER)
    throw new LimitExceeded(
      `Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: ${THUMBPRINTS_PER_PROVIDER}`,
    );
}

function checkClientIds(list: string[]): void {
  const problems = list.flatMap((c, i) =>
    c.length >= 1 && c.length <= 255
      ? []
      : [
          `Value '${c}' at 'clientIDList.${i + 1}.member' failed to satisfy constraint: Member must have length ${c.length < 1 ? "greater than or equal to 1" : "less than or equal to 255"}`,
        ],
  );
  if (problems.length > 0) throw new ValidationError(problems);
  if (list.length > CLIENT_IDS_PER_PROVIDER)
    throw new LimitExceeded(
      `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${CLIENT_IDS_PER_PROVIDER}`,
    );
}

const sortedTags = (p: OidcProvider) =>
  [...p.Tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));

export function oidcOperations(d: IamDeps): Record<string, Operation> {
  const { iam, store, rt } = d;
  const arnOf = (url: string) => `arn:aws:iam::${rt.accountId}:oidc-provider/${url}`;

  const checkArn = (arn: string) => {
    if (!/^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/.+/.test(arn))
      throw new InvalidInput(`ARN ${arn} is not valid.`);
  };
  const requireProvider = (arn: string): OidcProvider => {
    const p = iam.getOidcProviderByArn(arn);
    if (!p) throw new NoSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
    return p;
  };
  const authorize = (
    ctx: RequestContext,
    action: string,
    arn: string,
    extra: Record<string, string | string[]> = {},
  ) => {
    checkArn(arn);
    const p = iam.getOidcProviderByArn(arn);
    ctx.authorize({ action, resource: arn, context: { ...resourceTagContext(p?.Tags), ...extra } });
  };

  return {
    CreateOpenIDConnectProvider: (input, ctx) => {
      checkInput(input, { Url: required(shapes.oidcUrl), Tags: shapes.tagList });
      const url = input.Url as string;
      // https only, no query or fragment: the issuer URL of an `iss` claim (sts.md §6.2).
      const m = /^https:\/\/([^/?#\s]+(?:\/[^?#\s]*)?)$/.exec(url);
      if (!m) throw new InvalidInput("Invalid Open ID Connect Provider URL");
      const key = m[1]!;
      const clientIds = listOf(input.ClientIDList).map(String);
      const given = listOf(input.ThumbprintList).map(String);
      const tags = tagsOf(input.Tags);
      const arn = arnOf(key);
      ctx.authorize(
        createChecks("iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", arn, tags),
      );
      checkClientIds(clientIds);
      checkThumbprints(given);
      return store.tx(() => {
        if (iam.getOidcProvider(key))
          throw new EntityAlreadyExists(`Provider with url ${url} already exists.`);
        if (iam.listOidcProviders().length >= PROVIDERS_PER_ACCOUNT)
          throw new LimitExceeded(
            `Cannot exceed quota for OpenIdConnectProvidersPerAccount: ${PROVIDERS_PER_ACCOUNT}`,
          );
        const thumbprints = given.length > 0 ? given : [createHash("sha1").update(key).digest("hex")];
        iam.insertOidcProvider({
          Arn: arn,
          Url: key,
          ClientIDList: [...new Set(clientIds)],
          ThumbprintList: thumbprints,
          CreateDate: rt.clock.now(),
        });
        iam.putTags("oidc", arn, tags);
        return { OpenIDConnectProviderArn: arn, Tags: tags.length > 0 ? tags : undefined };
      });
    },

    GetOpenIDConnectProvider: (input, ctx) => {
      checkInput(input, { OpenIDConnectProviderArn: required(shapes.arn) });
      authorize(ctx, "iam:GetOpenIDConnectProvider", input.OpenIDConnectProviderArn);
      const p = requireProvider(input.OpenIDConnectProviderArn);
      return {
        Url: p.Url,
        ClientIDList: p.ClientIDList,
        ThumbprintList: p.ThumbprintList,
        CreateDate: p.CreateDate,
        Tags: p.Tags.length > 0 ? sortedTags(p) : undefined,
      };
    },

    ListOpenIDConnectProviders: (_input, ctx) => {
      ctx.authorize({ action: "iam:ListOpenIDConnectProviders", resource: "*" });
      return { OpenIDConnectProviderList: iam.listOidcProviders().map((p) => ({ Arn: p.Arn })) };
    },

    DeleteOpenIDConnectProvider: (input, ctx) => {
      checkInput(input, { OpenIDConnectProviderArn: required(shapes.arn) });
      authorize(ctx, "iam:DeleteOpenIDConnectProvider", input.OpenIDConnectProviderArn);
      // Idempotent: "does not fail or return an error if you call the operation for a provider that does
      // not exist" (API_DeleteOpenIDConnectProvider.html).
      return store.tx(() => {
        iam.deleteOidcProvider(input.OpenIDConnectProviderArn);
        return undefined;
      });
    },

    AddClientIDToOpenIDConnectProvider: (input, ctx) => {
      checkInput(input, {
        OpenIDConnectProviderArn: required(shapes.arn),
        ClientID: required(shapes.clientId),
      });
      authorize(ctx, "iam:AddClientIDToOpenIDConnectProvider", input.OpenIDConnectProviderArn);
      return store.tx(() => {
        const p = requireProvider(input.OpenIDConnectProviderArn);
        if (p.ClientIDList.includes(input.ClientID)) return undefined;
        const next = [...p.ClientIDList, input.ClientID as string];
        checkClientIds(next);
        iam.updateOidcProvider(p.Arn, next, p.ThumbprintList);
        return undefined;
      });
    },

    RemoveClientIDFromOpenIDConnectProvider: (input, ctx) => {
      checkInput(input, {
        OpenIDConnectProviderArn: required(shapes.arn),
        ClientID: required(shapes.clientId),
      });
      authorize(ctx, "iam:RemoveClientIDFromOpenIDConnectProvider", input.OpenIDConnectProviderArn);
      return store.tx(() => {
        const p = requireProvider(input.OpenIDConnectProviderArn);
        iam.updateOidcProvider(
          p.Arn,
          p.ClientIDList.filter((c) => c !== input.ClientID),
          p.ThumbprintList,
        );
        return undefined;
      });
    },

    UpdateOpenIDConnectProviderThumbprint: (input, ctx) => {
      checkInput(input, {
        OpenIDConnectProviderArn: required(shapes.arn),
        ThumbprintList: required({ type: "list" }),
      });
      authorize(ctx, "iam:UpdateOpenIDConnectProviderThumbprint", input.OpenIDConnectProviderArn);
      const list = listOf(input.ThumbprintList).map(String);
      checkThumbprints(list);
      return store.tx(() => {
        const p = requireProvider(input.OpenIDConnectProviderArn);
        iam.updateOidcProvider(p.Arn, p.ClientIDList, list);
        return undefined;
      });
    },

    ...tagOperations(d, {
      noun: "OpenIDConnectProvider",
      member: "OpenIDConnectProviderArn",
      shape: shapes.arn,
      authorize,
      writable: (arn) => {
        const p = requireProvider(arn);
        return { kind: "oidc", owner: p.Arn, tags: p.Tags };
      },
      listed: (arn) => sortedTags(requireProvider(arn)),
    }),
  };
}
