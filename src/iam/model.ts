// The IAM entities as other components read them (STS, the authorizer, ECS PassRole checks).
// src/iam/store.ts implements IamDirectory over SQLite; member names are AWS's wire names.

export interface Tag {
  Key: string;
  Value: string;
}

export interface PermissionsBoundary {
  PermissionsBoundaryType: "Policy";
  PermissionsBoundaryArn: string;
}

export interface IamUser {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  PermissionsBoundary?: PermissionsBoundary;
  Tags: Tag[];
}

export interface IamGroup {
  GroupName: string;
  GroupId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
}

export interface IamRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  /** the trust policy as JSON text (decoded; the IAM API URL-encodes it on output) */
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundary?: PermissionsBoundary;
  Tags: Tag[];
}

export interface OidcProvider {
  Arn: string;
  /** without the https:// scheme, as IAM stores it */
  Url: string;
  ClientIDList: string[];
  ThumbprintList: string[];
  CreateDate: Date;
  Tags: Tag[];
}

/** A policy document with a stable id for explanations (managed policy ARN, or inline:role/R/P). */
export interface NamedDocument {
  id: string;
  document: string;
}

export interface AccessKeyRecord {
  AccessKeyId: string;
  SecretAccessKey: string;
  UserName: string;
  Status: "Active" | "Inactive";
  CreateDate: Date;
}

/** Read side of IAM used across the twin. */
export interface IamDirectory {
  getUser(userName: string): IamUser | undefined;
  getRole(roleName: string): IamRole | undefined;
  /** by the role's ARN (path included or not: AWS resolves role ARNs by name) */
  getRoleByArn(arn: string): IamRole | undefined;
  /** by host (no scheme), e.g. token.actions.githubusercontent.com */
  getOidcProvider(url: string): OidcProvider | undefined;
  getAccessKey(accessKeyId: string): AccessKeyRecord | undefined;
  /** inline policies and the default versions of attached managed policies (and groups' for users) */
  identityPolicies(kind: "user" | "role" | "group", name: string): NamedDocument[];
  /** the default version of a managed policy (customer or AWS managed) */
  managedPolicyDocument(arn: string): NamedDocument | undefined;
  /**
   * Changes with every IAM write; undefined inside a transaction, where reads may see writes that
   * could still roll back, so nothing read there may be cached.
   */
  generation(): number | undefined;
}
