// A state dir with IAM, the OIDC issuer and STS wired as the twin wires them, for calling STS
// operations directly (no HTTP): the real IamStore, engine, issuer, key resolver and session store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import type { OperationInput, Principal, RequestContext, TwinRuntime } from "../../src/core/service.ts";
import { createAuthorizer } from "../../src/iam/authorize.ts";
import { DecisionLog } from "../../src/iam/decisions.ts";
import { IamStore } from "../../src/iam/store.ts";
import { jobFor } from "../../src/oidc/claims.ts";
import { createOidc, type Oidc, type OidcOptions } from "../../src/oidc/component.ts";
import { openStore, type Store } from "../../src/store/sqlite.ts";
import { createSts, type Sts, type StsOptions } from "../../src/sts/operations.ts";

export const ACCOUNT = "123456789012";
export const GH = "token.actions.githubusercontent.com";
export const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${GH}`;

export function trustPolicy(
  condition: Record<string, Record<string, string | string[]>>,
  extra: object[] = [],
) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: PROVIDER_ARN },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
      ...extra,
    ],
  });
}

export interface Harness {
  dir: string;
  store: Store;
  clock: ManualClock;
  rt: TwinRuntime;
  iam: IamStore;
  oidc: Oidc;
  sts: Sts;
  decisions: DecisionLog;
  addRole(name: string, trust: string, options?: { maxSession?: number; path?: string }): string;
  call(
    operation: string,
    input: OperationInput,
    principal?: Principal | null,
  ): Promise<Record<string, unknown>>;
  token(
    input?: Partial<Parameters<typeof jobFor>[0]>,
    overrides?: Record<string, unknown>,
    audience?: string,
  ): Promise<string>;
  close(): Promise<void>;
}

export async function harness(options: { oidc?: OidcOptions; sts?: StsOptions } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "keyship-sts-"));
  const store = openStore(dir);
  const clock = new ManualClock();
  const rt: TwinRuntime = { clock, ids: randomIds, accountId: ACCOUNT, region: "us-east-1" };
  const iam = new IamStore(store, ACCOUNT);
  const decisions = new DecisionLog(store);
  const oidc = createOidc(store, rt, options.oidc);
  const sts = createSts({
    store,
    rt,
    iam,
    oidc,
    decisions,
    ...(options.sts ? { options: options.sts } : {}),
  });
  const authorize = createAuthorizer({ directory: iam, decisions });
  iam.insertOidcProvider({
    Url: GH,
    Arn: PROVIDER_ARN,
    ClientIDList: ["sts.amazonaws.com"],
    ThumbprintList: [],
    CreateDate: clock.now(),
  });

  const h: Harness = {
    dir,
    store,
    clock,
    rt,
    iam,
    oidc,
    sts,
    decisions,
    addRole(name, trust, o = {}) {
      const path = o.path ?? "/";
      const arn = `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
      iam.insertRole({
        RoleName: name,
        RoleId: randomIds.uniqueId("AROA", ACCOUNT),
        Arn: arn,
        Path: path,
        CreateDate: clock.now(),
        AssumeRolePolicyDocument: trust,
        MaxSessionDuration: o.maxSession ?? 3600,
      });
      return arn;
    },
    async call(operation, input, principal = null) {
      const now = clock.now();
      const ctx: RequestContext = {
        requestId: randomIds.requestId(),
        service: "sts",
        operation,
        region: "us-east-1",
        accountId: ACCOUNT,
        now,
        sourceIp: "127.0.0.1",
        secureTransport: false,
        baseUrl: "http://127.0.0.1:4599",
        principal,
        authorize(checks) {
          if (!principal) throw new TypeError("unsigned");
          authorize(principal, Array.isArray(checks) ? checks : [checks], {
            service: "sts",
            operation,
            requestId: "r",
            now,
            sourceIp: "127.0.0.1",
            region: "us-east-1",
            secureTransport: false,
          });
        },
      };
      return (await sts.service.operations[operation]!(input, ctx)) as Record<string, unknown>;
    },
    async token(input = {}, overrides, audience = "sts.amazonaws.com") {
      const job = jobFor({ repository: "example-org/sample-app", ...input } as Parameters<typeof jobFor>[0]);
      return oidc.issuer.mint(job, { audience, ...(overrides ? { overrides: overrides as never } : {}) });
    },
    async close() {
      decisions.flush();
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}
