// Evaluation logic, one row per rule (iam-policy.md §3, §5): actions, resources, principals, policy types,
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${key} in plain strings
// same and cross account, boundaries, session policies, trust policies, SCPs/RCPs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type EvalRequest, evaluate, type PolicySet } from "../../../src/iam/evaluate.ts";
import { DOC } from "./docs.ts";

const A = "111111111111";
const B = "222222222222";
const USER = `arn:aws:iam::${A}:user/alice`;
const ROLE = `arn:aws:iam::${A}:role/app`;
const SESSION = `arn:aws:sts::${A}:assumed-role/app/s1`;
const OBJ = "arn:aws:s3:::bucket/key.txt";

const allow = (Action: unknown, Resource: unknown = "*", extra: object = {}) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action, Resource, ...extra }],
});
const deny = (Action: unknown, Resource: unknown = "*", extra: object = {}) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action, Resource, ...extra }],
});
const resAllow = (Principal: unknown, Action: unknown = "s3:GetObject", extra: object = {}) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal, Action, Resource: "arn:aws:s3:::bucket/*", ...extra }],
});
const resDeny = (Principal: unknown, Action: unknown = "s3:GetObject") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Principal, Action, Resource: "arn:aws:s3:::bucket/*" }],
});

interface Row {
  name: string;
  rule: string;
  request: Partial<EvalRequest>;
  policies: PolicySet;
  decision: "allowed" | "explicitDeny" | "implicitDeny";
  blockedBy?: string[];
}

const req = (r: Partial<EvalRequest>): EvalRequest => ({
  principal: USER,
  action: "s3:GetObject",
  resource: OBJ,
  resourceAccount: A,
  context: {},
  ...r,
});

const rows: Row[] = [
  // defaults and explicit deny
  {
    name: "no policy: implicit deny",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [] },
    decision: "implicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "identity allow",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [allow("s3:GetObject")] },
    decision: "allowed",
  },
  {
    name: "explicit deny beats allow",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [allow("*"), deny("s3:*")] },
    decision: "explicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "deny in one statement of a policy beats allow in another",
    rule: DOC.evaluation,
    request: {},
    policies: {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "*", Resource: "*" },
            { Effect: "Deny", Action: "s3:GetObject", Resource: OBJ },
          ],
        },
      ],
    },
    decision: "explicitDeny",
  },
  {
    name: "a deny that does not apply changes nothing",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [allow("*"), deny("s3:PutObject")] },
    decision: "allowed",
  },
  // actions
  {
    name: "action names are case-insensitive",
    rule: DOC.action,
    request: { action: "S3:getobject" },
    policies: { identity: [allow("s3:GetObject")] },
    decision: "allowed",
  },
  {
    name: "policy action case-insensitive",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow("S3:GETOBJECT")] },
    decision: "allowed",
  },
  {
    name: "action wildcard prefix",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow("s3:Get*")] },
    decision: "allowed",
  },
  {
    name: "action wildcard in the middle",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow("s3:*Object")] },
    decision: "allowed",
  },
  {
    name: "? matches one character",
    rule: DOC.spec("§13 decision 4"),
    request: {},
    policies: { identity: [allow("s3:GetObjec?")] },
    decision: "allowed",
  },
  {
    name: "* matches every action",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow("*")] },
    decision: "allowed",
  },
  {
    name: "s3:* does not match ecr actions",
    rule: DOC.action,
    request: { action: "ecr:PutImage", resource: "*" },
    policies: { identity: [allow("s3:*")] },
    decision: "implicitDeny",
  },
  {
    name: "action list: any entry",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow(["s3:PutObject", "s3:GetObject"])] },
    decision: "allowed",
  },
  {
    name: "a comma inside an action is literal",
    rule: DOC.action,
    request: {},
    policies: { identity: [allow("s3:GetObject,PutObject")] },
    decision: "implicitDeny",
  },
  {
    name: "sts:AssumeRole does not cover AssumeRoleWithWebIdentity",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRoleWithWebIdentity", resource: "*" },
    policies: { identity: [allow("sts:AssumeRole")] },
    decision: "implicitDeny",
  },
  // NotAction
  {
    name: "NotAction allows other actions",
    rule: DOC.notAction,
    request: {},
    policies: {
      identity: [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] },
      ],
    },
    decision: "allowed",
  },
  {
    name: "NotAction excludes the listed action",
    rule: DOC.notAction,
    request: { action: "iam:CreateUser", resource: `arn:aws:iam::${A}:user/x` },
    policies: {
      identity: [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] },
      ],
    },
    decision: "implicitDeny",
  },
  {
    name: "NotAction is still limited by Resource",
    rule: DOC.notAction,
    request: { action: "ecr:PutImage", resource: `arn:aws:ecr:us-east-1:${A}:repository/r` },
    policies: {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::*" }],
        },
      ],
    },
    decision: "implicitDeny",
  },
  {
    name: "Deny NotAction denies everything else",
    rule: DOC.notAction,
    request: {},
    policies: {
      identity: [
        allow("*"),
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", NotAction: ["iam:*", "sts:*"], Resource: "*" }],
        },
      ],
    },
    decision: "explicitDeny",
  },
  // resources
  {
    name: "resource * matches everything",
    rule: DOC.resource,
    request: {},
    policies: { identity: [allow("s3:GetObject", "*")] },
    decision: "allowed",
  },
  {
    name: "exact resource",
    rule: DOC.resource,
    request: {},
    policies: { identity: [allow("s3:GetObject", OBJ)] },
    decision: "allowed",
  },
  {
    name: "resource id is case-sensitive",
    rule: DOC.resource,
    request: {},
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/KEY.txt")] },
    decision: "implicitDeny",
  },
  {
    name: "ARN header parts are case-insensitive",
    rule: DOC.spec("§13 decision 6"),
    request: {},
    policies: { identity: [allow("s3:GetObject", "ARN:AWS:S3:::bucket/key.txt")] },
    decision: "allowed",
  },
  {
    name: "resource wildcard spans /",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket/1/2/3/test/4/object.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "allowed",
  },
  {
    name: "documented example: 1///test///object.jpg matches",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket/1///test///object.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "allowed",
  },
  {
    name: "documented example: /test/object.jpg matches",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket//test/object.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "allowed",
  },
  {
    name: "documented example: 1-test/object.jpg does not match",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket/1-test/object.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "implicitDeny",
  },
  {
    name: "documented example: test/object.jpg does not match",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket/test/object.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "implicitDeny",
  },
  {
    name: "documented example: 1/2/test.jpg does not match",
    rule: DOC.resource,
    request: { resource: "arn:aws:s3:::bucket/1/2/test.jpg" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/*/test/*")] },
    decision: "implicitDeny",
  },
  {
    name: "a * in the region part does not absorb the account part",
    rule: DOC.resource,
    request: { action: "ecr:PutImage", resource: `arn:aws:ecr:us-east-1:${A}:repository/r` },
    policies: { identity: [allow("ecr:PutImage", `arn:aws:ecr:*:${B}:repository/r`)] },
    decision: "implicitDeny",
  },
  {
    name: "wildcards within ARN segments",
    rule: DOC.resource,
    request: { action: "ecr:PutImage", resource: `arn:aws:ecr:us-east-1:${A}:repository/team/app` },
    policies: { identity: [allow("ecr:PutImage", "arn:aws:ecr:us-*:*:repository/team/*")] },
    decision: "allowed",
  },
  {
    name: "the resource id keeps further colons",
    rule: DOC.resource,
    request: {
      action: "logs:PutLogEvents",
      resource: `arn:aws:logs:us-east-1:${A}:log-group:g:log-stream:s`,
    },
    policies: { identity: [allow("logs:PutLogEvents", `arn:aws:logs:us-east-1:${A}:log-group:g:*`)] },
    decision: "allowed",
  },
  {
    name: "request resource * is literal: a specific ARN does not match",
    rule: DOC.spec("§3.3"),
    request: { action: "ecr:GetAuthorizationToken", resource: "*" },
    policies: { identity: [allow("ecr:GetAuthorizationToken", `arn:aws:ecr:us-east-1:${A}:repository/r`)] },
    decision: "implicitDeny",
  },
  {
    name: "request resource * matched by policy *",
    rule: DOC.spec("§3.3"),
    request: { action: "ecr:GetAuthorizationToken", resource: "*" },
    policies: { identity: [allow("ecr:GetAuthorizationToken", "*")] },
    decision: "allowed",
  },
  {
    name: "resource list: any entry",
    rule: DOC.resource,
    request: {},
    policies: { identity: [allow("s3:GetObject", ["arn:aws:s3:::other/*", "arn:aws:s3:::bucket/*"])] },
    decision: "allowed",
  },
  {
    name: "short pattern in an identity policy: missing parts are *",
    rule: DOC.spec("§3.3 fewer than six parts"),
    request: {},
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3")] },
    decision: "allowed",
  },
  // NotResource
  {
    name: "NotResource allows other resources",
    rule: DOC.notResource,
    request: {},
    policies: {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::secret/*" }],
        },
      ],
    },
    decision: "allowed",
  },
  {
    name: "NotResource excludes the listed resource",
    rule: DOC.notResource,
    request: { resource: "arn:aws:s3:::secret/x" },
    policies: {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", NotResource: "arn:aws:s3:::secret/*" }],
        },
      ],
    },
    decision: "implicitDeny",
  },
  {
    name: "Deny NotResource denies outside the list",
    rule: DOC.notResource,
    request: {},
    policies: {
      identity: [
        allow("*"),
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: "s3:*", NotResource: "arn:aws:s3:::allowed/*" }],
        },
      ],
    },
    decision: "explicitDeny",
  },
  // resource-based policies, same account (§5.4)
  {
    name: "resource policy naming the user allows without identity policy",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: USER }) },
    decision: "allowed",
  },
  {
    name: "resource policy naming another user: implicit deny",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: `arn:aws:iam::${A}:user/bob` }) },
    decision: "implicitDeny",
  },
  {
    name: 'resource policy "*" allows anyone',
    rule: DOC.principal,
    request: {},
    policies: { identity: [], resource: resAllow("*") },
    decision: "allowed",
  },
  {
    name: "resource policy AWS:* allows any AWS principal",
    rule: DOC.principal,
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: "*" }) },
    decision: "allowed",
  },
  {
    name: "account grant needs an identity allow (same account)",
    rule: DOC.spec("§5.4"),
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: A }) },
    decision: "implicitDeny",
  },
  {
    name: "account grant + identity allow",
    rule: DOC.spec("§5.4"),
    request: {},
    policies: { identity: [allow("s3:GetObject")], resource: resAllow({ AWS: `arn:aws:iam::${A}:root` }) },
    decision: "allowed",
  },
  {
    name: "resource policy explicit deny beats identity allow",
    rule: DOC.evaluation,
    request: {},
    policies: { identity: [allow("*")], resource: resDeny("*") },
    decision: "explicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "resource statement without Principal never applies",
    rule: DOC.principal,
    request: {},
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*" }],
      },
    },
    decision: "implicitDeny",
  },
  {
    name: "role ARN grant covers the role's sessions",
    rule: DOC.principal,
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: ROLE }) },
    decision: "allowed",
  },
  {
    name: "role ARN with a path matches sessions by role name",
    rule: DOC.principal,
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: `arn:aws:iam::${A}:role/team/app` }) },
    decision: "allowed",
  },
  {
    name: "session ARN grant covers that session only",
    rule: DOC.principal,
    request: { principal: `arn:aws:sts::${A}:assumed-role/app/other` },
    policies: { identity: [], resource: resAllow({ AWS: SESSION }) },
    decision: "implicitDeny",
  },
  {
    name: "partial wildcards in principals match nothing",
    rule: DOC.principal,
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: `arn:aws:iam::${A}:user/*` }) },
    decision: "implicitDeny",
  },
  // permissions boundaries
  {
    name: "boundary limits identity permissions",
    rule: DOC.boundaries,
    request: {},
    policies: { identity: [allow("*")], permissionsBoundary: [allow("ec2:*")] },
    decision: "implicitDeny",
    blockedBy: ["boundary"],
  },
  {
    name: "boundary and identity both allow",
    rule: DOC.boundaries,
    request: {},
    policies: { identity: [allow("s3:*")], permissionsBoundary: [allow("s3:GetObject")] },
    decision: "allowed",
  },
  {
    name: "boundary alone grants nothing",
    rule: DOC.boundaries,
    request: {},
    policies: { identity: [], permissionsBoundary: [allow("*")] },
    decision: "implicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "explicit deny in a boundary",
    rule: DOC.boundaries,
    request: {},
    policies: { identity: [allow("*")], permissionsBoundary: [allow("*"), deny("s3:GetObject")] },
    decision: "explicitDeny",
    blockedBy: ["boundary"],
  },
  {
    name: "user-ARN resource grant is not limited by the boundary",
    rule: DOC.boundaries,
    request: {},
    policies: { identity: [], resource: resAllow({ AWS: USER }), permissionsBoundary: [allow("ec2:*")] },
    decision: "allowed",
  },
  {
    name: "role-ARN resource grant is limited by the session's boundary",
    rule: DOC.spec("§5.4"),
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: ROLE }), permissionsBoundary: [allow("ec2:*")] },
    decision: "implicitDeny",
    blockedBy: ["boundary"],
  },
  {
    name: "session-ARN resource grant ignores the boundary",
    rule: DOC.spec("§5.4"),
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: SESSION }), permissionsBoundary: [allow("ec2:*")] },
    decision: "allowed",
  },
  {
    name: "NotPrincipal+Deny always denies a principal with a boundary",
    rule: DOC.boundaries,
    request: { principal: SESSION },
    policies: {
      identity: [allow("*")],
      permissionsBoundary: [allow("*")],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Deny", NotPrincipal: { AWS: [ROLE, SESSION] }, Action: "s3:*", Resource: "*" },
        ],
      },
    },
    decision: "explicitDeny",
  },
  {
    name: "NotPrincipal+Deny spares the listed principal",
    rule: DOC.notPrincipal,
    request: {},
    policies: {
      identity: [allow("*")],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", NotPrincipal: { AWS: USER }, Action: "s3:*", Resource: "*" }],
      },
    },
    decision: "allowed",
  },
  {
    name: "NotPrincipal+Deny denies everyone else",
    rule: DOC.notPrincipal,
    request: { principal: `arn:aws:iam::${A}:user/bob` },
    policies: {
      identity: [allow("*")],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", NotPrincipal: { AWS: USER }, Action: "s3:*", Resource: "*" }],
      },
    },
    decision: "explicitDeny",
  },
  // session policies
  {
    name: "session policy limits the role's permissions",
    rule: DOC.sessionPolicies,
    request: { principal: SESSION },
    policies: { identity: [allow("*")], session: allow("ec2:*") },
    decision: "implicitDeny",
    blockedBy: ["session"],
  },
  {
    name: "session policy and identity both allow",
    rule: DOC.sessionPolicies,
    request: { principal: SESSION },
    policies: { identity: [allow("s3:*")], session: allow("s3:GetObject") },
    decision: "allowed",
  },
  {
    name: "session policy never grants alone",
    rule: DOC.sessionPolicies,
    request: { principal: SESSION },
    policies: { identity: [], session: allow("*") },
    decision: "implicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "explicit deny in a session policy",
    rule: DOC.sessionPolicies,
    request: { principal: SESSION },
    policies: {
      identity: [allow("*")],
      session: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "*", Resource: "*" },
          { Effect: "Deny", Action: "s3:*", Resource: "*" },
        ],
      },
    },
    decision: "explicitDeny",
    blockedBy: ["session"],
  },
  {
    name: "session-ARN resource grant ignores the session policy",
    rule: DOC.spec("§5.4 (disputed upstream)"),
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: SESSION }), session: allow("ec2:*") },
    decision: "allowed",
  },
  {
    name: "role-ARN resource grant is limited by the session policy",
    rule: DOC.sessionPolicies,
    request: { principal: SESSION },
    policies: { identity: [], resource: resAllow({ AWS: ROLE }), session: allow("ec2:*") },
    decision: "implicitDeny",
    blockedBy: ["session"],
  },
  // cross account (§5.5)
  {
    name: "cross account: identity allow alone is not enough",
    rule: DOC.crossAccount,
    request: { resource: `arn:aws:sqs:us-east-1:${B}:q`, action: "sqs:SendMessage", resourceAccount: B },
    policies: { identity: [allow("*")] },
    decision: "implicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "cross account: resource grant alone is not enough",
    rule: DOC.crossAccount,
    request: { resource: `arn:aws:sqs:us-east-1:${B}:q`, action: "sqs:SendMessage", resourceAccount: B },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: USER }, Action: "sqs:SendMessage", Resource: "*" }],
      },
    },
    decision: "implicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "cross account: both sides allow",
    rule: DOC.crossAccount,
    request: { resource: `arn:aws:sqs:us-east-1:${B}:q`, action: "sqs:SendMessage", resourceAccount: B },
    policies: {
      identity: [allow("sqs:SendMessage")],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: A }, Action: "sqs:SendMessage", Resource: "*" }],
      },
    },
    decision: "allowed",
  },
  {
    name: "cross account: the other account's grant does not match",
    rule: DOC.crossAccount,
    request: { resource: `arn:aws:sqs:us-east-1:${B}:q`, action: "sqs:SendMessage", resourceAccount: B },
    policies: {
      identity: [allow("sqs:SendMessage")],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: B }, Action: "sqs:SendMessage", Resource: "*" }],
      },
    },
    decision: "implicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "cross account: boundary still applies",
    rule: DOC.crossAccount,
    request: { resource: `arn:aws:sqs:us-east-1:${B}:q`, action: "sqs:SendMessage", resourceAccount: B },
    policies: {
      identity: [allow("*")],
      permissionsBoundary: [allow("s3:*")],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: USER }, Action: "sqs:SendMessage", Resource: "*" }],
      },
    },
    decision: "implicitDeny",
    blockedBy: ["boundary"],
  },
  // trust policies (§5.6)
  {
    name: "trust policy naming the user allows AssumeRole without identity policy",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: USER }, Action: "sts:AssumeRole" }],
      },
    },
    decision: "allowed",
  },
  {
    name: "identity allow alone cannot assume a role",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [allow("sts:AssumeRole")],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:user/bob` }, Action: "sts:AssumeRole" },
        ],
      },
    },
    decision: "implicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "trust naming the account needs an identity allow",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole" }],
      },
    },
    decision: "implicitDeny",
  },
  {
    name: "trust naming the account + identity allow",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [allow("sts:AssumeRole", ROLE)],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: A }, Action: "sts:AssumeRole" }],
      },
    },
    decision: "allowed",
  },
  {
    name: "web identity: trust alone decides",
    rule: DOC.spec("§5.6"),
    request: {
      principal: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`,
      action: "sts:AssumeRoleWithWebIdentity",
      resource: ROLE,
      context: { "token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main" },
    },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:o/r:*" } },
          },
        ],
      },
    },
    decision: "allowed",
  },
  {
    name: "web identity: condition on sub fails",
    rule: DOC.spec("§5.6"),
    request: {
      principal: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`,
      action: "sts:AssumeRoleWithWebIdentity",
      resource: ROLE,
      context: { "token.actions.githubusercontent.com:sub": "repo:o/other:ref:refs/heads/main" },
    },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:o/r:*" } },
          },
        ],
      },
    },
    decision: "implicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "web identity: another provider does not match",
    rule: DOC.principal,
    request: { principal: "accounts.google.com", action: "sts:AssumeRoleWithWebIdentity", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` },
            Action: "sts:AssumeRoleWithWebIdentity",
          },
        ],
      },
    },
    decision: "implicitDeny",
  },
  {
    name: "trust policy: AWS:* does not match a federated principal",
    rule: DOC.spec("§13 decision 19"),
    request: { principal: "accounts.google.com", action: "sts:AssumeRoleWithWebIdentity", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRoleWithWebIdentity" }],
      },
    },
    decision: "implicitDeny",
  },
  {
    name: "service principal assumes a role",
    rule: DOC.principal,
    request: { principal: "ecs-tasks.amazonaws.com", action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
    },
    decision: "allowed",
  },
  {
    name: "another service principal does not match",
    rule: DOC.principal,
    request: { principal: "lambda.amazonaws.com", action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
    },
    decision: "implicitDeny",
  },
  {
    name: "trust policy Resource element is ignored",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:AssumeRole", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: USER },
            Action: "sts:AssumeRole",
            Resource: "arn:aws:iam::999999999999:role/x",
          },
        ],
      },
    },
    decision: "allowed",
  },
  {
    name: "sts:TagSession needs its own trust allow",
    rule: DOC.spec("§5.6"),
    request: { action: "sts:TagSession", resource: ROLE },
    policies: {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: USER }, Action: "sts:AssumeRole" }],
      },
    },
    decision: "implicitDeny",
  },
  // SCPs and RCPs
  {
    name: "every SCP level must allow",
    rule: DOC.scp,
    request: {},
    policies: {
      identity: [allow("*")],
      scp: [
        { orgIdentifier: "r-root", policies: [allow("*")] },
        { orgIdentifier: "ou-1", policies: [allow("ec2:*")] },
      ],
    },
    decision: "implicitDeny",
    blockedBy: ["scp"],
  },
  {
    name: "SCPs allowing at every level",
    rule: DOC.scp,
    request: {},
    policies: {
      identity: [allow("*")],
      scp: [
        { orgIdentifier: "r-root", policies: [allow("*")] },
        { orgIdentifier: "ou-1", policies: [allow("s3:*")] },
      ],
    },
    decision: "allowed",
  },
  {
    name: "SCPs never grant",
    rule: DOC.scp,
    request: {},
    policies: { identity: [], scp: [{ orgIdentifier: "r-root", policies: [allow("*")] }] },
    decision: "implicitDeny",
    blockedBy: ["identity"],
  },
  {
    name: "SCP explicit deny",
    rule: DOC.scp,
    request: {},
    policies: {
      identity: [allow("*")],
      scp: [{ orgIdentifier: "r-root", policies: [allow("*"), deny("s3:*")] }],
    },
    decision: "explicitDeny",
    blockedBy: ["scp"],
  },
  {
    name: "SCP deny also binds a resource-policy grant",
    rule: DOC.scp,
    request: {},
    policies: {
      identity: [],
      resource: resAllow({ AWS: USER }),
      scp: [{ orgIdentifier: "r-root", policies: [deny("s3:*")] }],
    },
    decision: "explicitDeny",
    blockedBy: ["scp"],
  },
  {
    name: "RCP deny",
    rule: DOC.rcp,
    request: {},
    policies: {
      identity: [allow("*")],
      rcp: [
        {
          orgIdentifier: "r-root",
          policies: [
            allow("*"),
            {
              Version: "2012-10-17",
              Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }],
            },
          ],
        },
      ],
    },
    decision: "explicitDeny",
    blockedBy: ["rcp"],
  },
  {
    name: "RCP without an allow at a level",
    rule: DOC.rcp,
    request: {},
    policies: { identity: [allow("*")], rcp: [{ orgIdentifier: "r-root", policies: [allow("ec2:*")] }] },
    decision: "implicitDeny",
    blockedBy: ["rcp"],
  },
  // root, anonymous and fixed rules
  {
    name: "the account root is allowed without identity policies",
    rule: DOC.evaluation,
    request: { principal: `arn:aws:iam::${A}:root` },
    policies: { identity: [] },
    decision: "allowed",
  },
  {
    name: "the account root is bound by a resource-policy deny",
    rule: DOC.evaluation,
    request: { principal: `arn:aws:iam::${A}:root` },
    policies: { identity: [], resource: resDeny("*") },
    decision: "explicitDeny",
  },
  {
    name: "anonymous caller allowed by a public resource policy",
    rule: DOC.principal,
    request: { principal: { type: "Anonymous" } },
    policies: { identity: [], resource: resAllow("*") },
    decision: "allowed",
  },
  {
    name: "anonymous caller without resource policy",
    rule: DOC.principal,
    request: { principal: { type: "Anonymous" } },
    policies: { identity: [] },
    decision: "implicitDeny",
    blockedBy: ["resource"],
  },
  {
    name: "sts:GetCallerIdentity needs no permission, even with a deny",
    rule: DOC.getCallerIdentity,
    request: { action: "sts:GetCallerIdentity", resource: "*" },
    policies: { identity: [deny("*")] },
    decision: "allowed",
  },
  {
    name: "a KMS key policy must grant (identity alone is not enough)",
    rule: DOC.kmsKeyPolicy,
    request: { action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:${A}:key/k1` },
    policies: { identity: [allow("kms:*")] },
    decision: "implicitDeny",
  },
  {
    name: "KMS key policy naming the account enables IAM policies",
    rule: DOC.kmsKeyPolicy,
    request: { action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:${A}:key/k1` },
    policies: {
      identity: [allow("kms:*")],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" },
        ],
      },
    },
    decision: "allowed",
  },
  // versions and variables in Resource
  {
    name: "Version 2012-10-17 substitutes ${aws:username} in Resource",
    rule: DOC.variables,
    request: { resource: "arn:aws:s3:::bucket/home/alice/x", context: { "aws:username": "alice" } },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")] },
    decision: "allowed",
  },
  {
    name: "another user's folder does not match",
    rule: DOC.variables,
    request: { resource: "arn:aws:s3:::bucket/home/bob/x", context: { "aws:username": "alice" } },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")] },
    decision: "implicitDeny",
  },
  {
    name: "without Version the variable is literal text",
    rule: DOC.version,
    request: { resource: "arn:aws:s3:::bucket/home/alice/x", context: { "aws:username": "alice" } },
    policies: {
      identity: [
        {
          Statement: [
            {
              Effect: "Allow",
              Action: "s3:GetObject",
              Resource: "arn:aws:s3:::bucket/home/${aws:username}/*",
            },
          ],
        },
      ],
    },
    decision: "implicitDeny",
  },
  {
    name: "under 2008-10-17 the literal matches a literal request",
    rule: DOC.version,
    request: { resource: "arn:aws:s3:::bucket/home/${aws:username}/x", context: { "aws:username": "alice" } },
    policies: {
      identity: [
        {
          Version: "2008-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "s3:GetObject",
              Resource: "arn:aws:s3:::bucket/home/${aws:username}/*",
            },
          ],
        },
      ],
    },
    decision: "allowed",
  },
  {
    name: "a variable without value makes the Resource entry match nothing",
    rule: DOC.variables,
    request: { resource: "arn:aws:s3:::bucket/home//x" },
    policies: { identity: [allow("s3:GetObject", "arn:aws:s3:::bucket/home/${aws:username}/*")] },
    decision: "implicitDeny",
  },
  // seed scenario: PassRole (iam-policy.md §9)
  {
    name: "PassRole allowed for ecs-tasks",
    rule: DOC.passRole,
    request: {
      action: "iam:PassRole",
      resource: `arn:aws:iam::${A}:role/ecsTaskExecutionRole`,
      context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
    },
    policies: {
      identity: [
        allow("iam:PassRole", `arn:aws:iam::${A}:role/ecsTaskExecutionRole`, {
          Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        }),
      ],
    },
    decision: "allowed",
  },
  {
    name: "PassRole to another service denied",
    rule: DOC.passRole,
    request: {
      action: "iam:PassRole",
      resource: `arn:aws:iam::${A}:role/ecsTaskExecutionRole`,
      context: { "iam:PassedToService": "ecs.amazonaws.com" },
    },
    policies: {
      identity: [
        allow("iam:PassRole", `arn:aws:iam::${A}:role/ecsTaskExecutionRole`, {
          Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        }),
      ],
    },
    decision: "implicitDeny",
  },
  {
    name: "PassRole without the key denied",
    rule: DOC.passRole,
    request: { action: "iam:PassRole", resource: `arn:aws:iam::${A}:role/ecsTaskExecutionRole` },
    policies: {
      identity: [
        allow("iam:PassRole", `arn:aws:iam::${A}:role/ecsTaskExecutionRole`, {
          Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        }),
      ],
    },
    decision: "implicitDeny",
  },
  // policy inputs
  {
    name: "JSON text and NamedPolicy inputs",
    rule: DOC.spec("§5.2"),
    request: {},
    policies: {
      identity: [
        JSON.stringify(deny("ec2:*")),
        { id: "inline:user/alice/p", document: JSON.stringify(allow("s3:*")) },
      ],
    },
    decision: "allowed",
  },
  {
    name: "statement object (not array)",
    rule: DOC.spec("§2.1"),
    request: {},
    policies: {
      identity: [
        { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } },
      ],
    },
    decision: "allowed",
  },
];

for (const row of rows) {
  test(`${row.name} (${row.rule})`, () => {
    const r = evaluate(req(row.request), row.policies);
    assert.equal(r.decision, row.decision);
    if (row.blockedBy) assert.deepEqual(r.blockedBy, row.blockedBy);
  });
}

test("matched statements: Denies first, then applicable Allows, with ids and Sids", () => {
  const r = evaluate(req({}), {
    identity: [
      {
        id: "arn:aws:iam::111111111111:policy/Allow",
        document: {
          Version: "2012-10-17",
          Statement: [{ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" }],
        },
      },
      {
        id: "inline:user/alice/Deny",
        document: {
          Version: "2012-10-17",
          Statement: [{ Sid: "NoS3", Effect: "Deny", Action: "s3:*", Resource: "*" }],
        },
      },
    ],
  });
  assert.deepEqual(
    r.matchedStatements.map((m) => [m.effect, m.sourcePolicyId, m.sid, m.sourcePolicyType]),
    [
      ["Deny", "inline:user/alice/Deny", "NoS3", "IAM Policy"],
      ["Allow", "arn:aws:iam::111111111111:policy/Allow", "All", "IAM Policy"],
    ],
  );
});

test("missing context keys are listed for implicit denies, spelled as in the policy", () => {
  const r = evaluate(req({ action: "iam:PassRole", resource: ROLE }), {
    identity: [
      allow("iam:PassRole", "*", {
        Condition: {
          StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
          Bool: { "aws:SecureTransport": "true" },
        },
      }),
    ],
  });
  assert.deepEqual(r.missingContextKeys, ["aws:SecureTransport", "iam:PassedToService"]);
});

test("parsing is cached: the same object is compiled once and gives the same result", () => {
  const p = allow("s3:GetObject");
  const a = evaluate(req({}), { identity: [p] });
  const b = evaluate(req({}), { identity: [p] });
  assert.deepEqual(a, b);
});
