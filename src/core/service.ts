// What a service module gives the server, and what the server gives each operation call.
// Operations take and return plain objects whose member names are AWS's wire names; they never
// see HTTP. The protocol layer (http/aws-query.ts, http/aws-json.ts) turns them into bytes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ShapeModel } from "../http/json-shapes.ts";
import type { Clock } from "./clock.ts";
import type { IdGenerator } from "./ids.ts";

/** Who made a request, after SigV4 (or unsigned, for AssumeRoleWithWebIdentity). */
export interface Principal {
  type: "User" | "AssumedRole";
  /** aws:PrincipalArn as AWS gives it: the user ARN, or the assumed-role session ARN. */
  arn: string;
  accountId: string;
  /** aws:userid: the user's unique id, or ROLEID:session-name for a role session. */
  userId: string;
  /** the user name, or the role name for a role session. */
  name: string;
  accessKeyId: string;
  /** present for role sessions (STS credentials) */
  session?: RoleSession;
  /** when a role session's credentials were issued (aws:TokenIssueTime) */
  issuedAt?: Date;
  /**
   * the session token that authenticates a role session: it seals the session (sts/session-token.ts),
   * so what hands the key id on (an ECR password) hands this on too, for any twin on the state to open
   */
  sessionToken?: string;
}

export interface RoleSession {
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  expiration: Date;
  /** inline session policy (JSON text) and managed session policy ARNs, applied to every call */
  policy?: string;
  policyArns: string[];
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  /** set when the session came from a role session (role chaining) */
  chained: boolean;
  /** how the session was created: AssumeRole, AssumeRoleWithWebIdentity */
  via: string;
  /** for web identity sessions: the token's claims, kept for explanations */
  webIdentity?: { provider: string; subject: string; audience: string };
}

/** One authorization a service operation asks for before it acts. */
export interface AuthzCheck {
  action: string;
  resource: string;
  /** service-specific and request keys (iam:PassedToService, aws:RequestTag/..., ecr:ResourceTag/...) */
  context?: Record<string, string | string[]>;
  /** resource-based policy (ECR repository policy, role trust policy) as JSON text */
  resourcePolicy?: { id: string; document: string };
  resourceAccount?: string;
}

export interface RequestContext {
  requestId: string;
  /** service name as in ARNs and actions: iam, sts, ecr, ecs */
  service: string;
  operation: string;
  /** from the SigV4 scope; the twin's default region for unsigned calls */
  region: string;
  /** the twin's own account */
  accountId: string;
  now: Date;
  sourceIp: string;
  secureTransport: boolean;
  /** the User-Agent header, when the client sent one (aws:UserAgent) */
  userAgent?: string;
  /** the twin's base URL as this client reached it, e.g. http://127.0.0.1:4599 */
  baseUrl: string;
  /** null only for operations declared unsigned */
  principal: Principal | null;
  /** Authorizes every check with the IAM engine; throws AccessDenied (recorded in the decision log). */
  authorize(checks: AuthzCheck | AuthzCheck[]): void;
}

// biome-ignore lint/suspicious/noExplicitAny: operations take AWS-shaped objects decoded by the protocol layer
export type OperationInput = Record<string, any>;
export type OperationOutput = Record<string, unknown> | undefined;

export type Operation = (
  input: OperationInput,
  ctx: RequestContext,
) => OperationOutput | Promise<OperationOutput>;

export interface Service {
  /** the SigV4 signing name and the action prefix: iam, sts, ecr, ecs */
  name: string;
  protocol: "query" | "json";
  /** awsJson1_1 X-Amz-Target prefix, e.g. AmazonEC2ContainerRegistry_V20150921 */
  targetPrefix?: string;
  /** awsQuery XML namespace, e.g. https://iam.amazonaws.com/doc/2010-05-08/ */
  xmlNamespace?: string;
  operations: Record<string, Operation>;
  /** operations AWS serves without a signature (STS AssumeRoleWithWebIdentity) */
  unsigned?: ReadonlySet<string>;
  /** awsJson only: the model's input shapes, so wrong JSON types are refused at the edge */
  inputShapes?: ShapeModel;
}

/** A non-AWS HTTP route: the OCI registry, the OIDC issuer, /_keyship endpoints. */
export interface Route {
  method?: string;
  /** matched against the decoded path; a string matches as a prefix */
  path: string | RegExp;
  handler(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> | void;
}

export interface RouteContext {
  requestId: string;
  now: Date;
  baseUrl: string;
  sourceIp: string;
  /** whether the call counts as over TLS (aws:SecureTransport): the twin's setting for its plain HTTP */
  secureTransport: boolean;
  match: RegExpMatchArray | null;
}

/** Resolves an access key id to its secret and principal (IAM user keys, STS sessions). */
export interface CredentialSource {
  /** `sessionToken`: the one presented with a temporary key id, which may carry its session */
  lookup(
    accessKeyId: string,
    sessionToken?: string,
  ): { secretAccessKey: string; sessionToken?: string; expiration?: Date; principal: Principal } | undefined;
}

/** Things every component is built with. */
export interface TwinRuntime {
  clock: Clock;
  ids: IdGenerator;
  accountId: string;
  region: string;
}
