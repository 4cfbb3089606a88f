// IAM's tables in the state database and the IamDirectory read side over them. Writes are plain
// statements: the operations wrap each API call in one `store.tx`. Names of users and roles are
// unique case-insensitively (COLLATE NOCASE), as IAM's are; tag keys likewise.
import type Database from "better-sqlite3";
import { ReadCache } from "../store/read-cache.ts";
import type { Store } from "../store/sqlite.ts";
import { awsManagedPolicies, awsManagedPolicyArn } from "./managed-policies.ts";
import type {
  AccessKeyRecord,
  IamDirectory,
  IamGroup,
  IamRole,
  IamUser,
  NamedDocument,
  OidcProvider,
  PermissionsBoundary,
  Tag,
} from "./model.ts";
import { currentTrustText, entityOfArn, principalIdsOf } from "./trust-principals.ts";

const MIGRATIONS = [
  `CREATE TABLE iam_users (
     name TEXT PRIMARY KEY COLLATE NOCASE, id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, path TEXT NOT NULL,
     created TEXT NOT NULL, boundary_arn TEXT);
   CREATE TABLE iam_access_keys (
     id TEXT PRIMARY KEY, user_name TEXT NOT NULL COLLATE NOCASE, secret TEXT NOT NULL, status TEXT NOT NULL,
     created TEXT NOT NULL);
   CREATE INDEX iam_access_keys_user ON iam_access_keys (user_name);
   CREATE TABLE iam_roles (
     name TEXT PRIMARY KEY COLLATE NOCASE, id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, path TEXT NOT NULL,
     created TEXT NOT NULL, trust TEXT NOT NULL, description TEXT, max_session INTEGER NOT NULL,
     boundary_arn TEXT);
   CREATE TABLE iam_inline_policies (
     kind TEXT NOT NULL, owner TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL, document TEXT NOT NULL,
     PRIMARY KEY (kind, owner, name));
   CREATE TABLE iam_policies (
     arn TEXT PRIMARY KEY, name TEXT NOT NULL, id TEXT NOT NULL, path TEXT NOT NULL, description TEXT,
     default_version TEXT NOT NULL, next_version INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
     aws_managed INTEGER NOT NULL);
   CREATE TABLE iam_policy_versions (
     policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE, version_id TEXT NOT NULL,
     document TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (policy_arn, version_id));
   CREATE TABLE iam_attachments (
     kind TEXT NOT NULL, owner TEXT NOT NULL COLLATE NOCASE, policy_arn TEXT NOT NULL,
     PRIMARY KEY (kind, owner, policy_arn));
   CREATE INDEX iam_attachments_policy ON iam_attachments (policy_arn);
   CREATE TABLE iam_oidc_providers (
     url TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, client_ids TEXT NOT NULL, thumbprints TEXT NOT NULL,
     created TEXT NOT NULL);
   CREATE TABLE iam_tags (
     kind TEXT NOT NULL, owner TEXT NOT NULL COLLATE NOCASE, key TEXT NOT NULL COLLATE NOCASE, value TEXT NOT NULL,
     PRIMARY KEY (kind, owner, key));`,
  // The unique ids of the users and roles a trust policy named when it was saved (trust-principals.ts).
  `ALTER TABLE iam_roles ADD COLUMN trust_principals TEXT;`,
  // Groups and their members; a group's inline policies and attachments are rows of kind "group" in
  // iam_inline_policies and iam_attachments, as users' and roles' are.
  `CREATE TABLE iam_groups (
     name TEXT PRIMARY KEY COLLATE NOCASE, id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL, path TEXT NOT NULL,
     created TEXT NOT NULL);
   CREATE TABLE iam_group_members (
     group_name TEXT NOT NULL COLLATE NOCASE, user_name TEXT NOT NULL COLLATE NOCASE,
     PRIMARY KEY (group_name, user_name));
   CREATE INDEX iam_group_members_user ON iam_group_members (user_name);`,
];

/** What inline policies and managed policy attachments belong to. */
export type PrincipalKind = "user" | "role" | "group";
/** Taggable things: users and roles by name, policies and OIDC providers by ARN. */
export type TagKind = "user" | "role" | "policy" | "oidc";

interface UserRow {
  name: string;
  id: string;
  arn: string;
  path: string;
  created: string;
  boundary_arn: string | null;
}
interface RoleRow extends UserRow {
  trust: string;
  /** JSON PrincipalIds; null for roles saved before they were recorded */
  trust_principals: string | null;
  description: string | null;
  max_session: number;
}
interface GroupRow {
  name: string;
  id: string;
  arn: string;
  path: string;
  created: string;
}
interface KeyRow {
  id: string;
  user_name: string;
  secret: string;
  status: "Active" | "Inactive";
  created: string;
}
export interface PolicyRecord {
  Arn: string;
  PolicyName: string;
  PolicyId: string;
  Path: string;
  Description?: string;
  DefaultVersionId: string;
  nextVersion: number;
  CreateDate: Date;
  UpdateDate: Date;
  awsManaged: boolean;
}
interface PolicyRow {
  arn: string;
  name: string;
  id: string;
  path: string;
  description: string | null;
  default_version: string;
  next_version: number;
  created: string;
  updated: string;
  aws_managed: number;
}
export interface PolicyVersionRecord {
  VersionId: string;
  Document: string;
  CreateDate: Date;
  IsDefaultVersion: boolean;
}
interface OidcRow {
  url: string;
  arn: string;
  client_ids: string;
  thumbprints: string;
  created: string;
}

const boundary = (arn: string | null): PermissionsBoundary | undefined =>
  arn ? { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn } : undefined;

export class IamStore implements IamDirectory {
  readonly store: Store;
  readonly accountId: string;
  readonly #q;
  /**
   * Read-through cache for what authorization reads on every request (keys, principals, their
   * policies). The twin is the only writer of its state, and every write goes through a statement
   * prepared here, which clears the cache; reads inside a transaction bypass it, so a rolled-back
   * write can never leave a cached value behind.
   */
  readonly #cache: ReadCache;

  constructor(store: Store, accountId: string) {
    this.store = store;
    this.accountId = accountId;
    store.migrate("iam", MIGRATIONS);
    const db = store.db;
    this.#cache = new ReadCache(db);
    this.#q = {
      user: db.prepare<[string], UserRow>("SELECT * FROM iam_users WHERE name = ?"),
      users: db.prepare<[], UserRow>("SELECT * FROM iam_users ORDER BY name COLLATE BINARY"),
      insertUser: db.prepare(
        "INSERT INTO iam_users (name, id, arn, path, created, boundary_arn) VALUES (@name, @id, @arn, @path, @created, @boundary_arn)",
      ),
      deleteUser: db.prepare<[string]>("DELETE FROM iam_users WHERE name = ?"),
      setUserBoundary: db.prepare<[string | null, string]>(
        "UPDATE iam_users SET boundary_arn = ? WHERE name = ?",
      ),
      role: db.prepare<[string], RoleRow>("SELECT * FROM iam_roles WHERE name = ?"),
      roles: db.prepare<[], RoleRow>("SELECT * FROM iam_roles ORDER BY name COLLATE BINARY"),
      insertRole: db.prepare(
        `INSERT INTO iam_roles (name, id, arn, path, created, trust, trust_principals, description, max_session,
           boundary_arn)
         VALUES (@name, @id, @arn, @path, @created, @trust, @trust_principals, @description, @max_session,
           @boundary_arn)`,
      ),
      userId: db.prepare<[string], { id: string }>("SELECT id FROM iam_users WHERE name = ?").pluck(),
      roleId: db.prepare<[string], { id: string }>("SELECT id FROM iam_roles WHERE name = ?").pluck(),
      deleteRole: db.prepare<[string]>("DELETE FROM iam_roles WHERE name = ?"),
      setRoleTrust: db.prepare<[string, string, string]>(
        "UPDATE iam_roles SET trust = ?, trust_principals = ? WHERE name = ?",
      ),
      setRoleDescription: db.prepare<[string, string]>("UPDATE iam_roles SET description = ? WHERE name = ?"),
      setRoleMaxSession: db.prepare<[number, string]>("UPDATE iam_roles SET max_session = ? WHERE name = ?"),
      setRoleBoundary: db.prepare<[string | null, string]>(
        "UPDATE iam_roles SET boundary_arn = ? WHERE name = ?",
      ),
      group: db.prepare<[string], GroupRow>("SELECT * FROM iam_groups WHERE name = ?"),
      groups: db.prepare<[], GroupRow>("SELECT * FROM iam_groups ORDER BY name COLLATE BINARY"),
      insertGroup: db.prepare(
        "INSERT INTO iam_groups (name, id, arn, path, created) VALUES (@name, @id, @arn, @path, @created)",
      ),
      deleteGroup: db.prepare<[string]>("DELETE FROM iam_groups WHERE name = ?"),
      renameGroup: db.prepare<[string, string, string, string]>(
        "UPDATE iam_groups SET name = ?, path = ?, arn = ? WHERE name = ?",
      ),
      renameGroupMembers: db.prepare<[string, string]>(
        "UPDATE iam_group_members SET group_name = ? WHERE group_name = ?",
      ),
      renameOwnerInline: db.prepare<[string, string, string]>(
        "UPDATE iam_inline_policies SET owner = ? WHERE kind = ? AND owner = ?",
      ),
      renameOwnerAttachments: db.prepare<[string, string, string]>(
        "UPDATE iam_attachments SET owner = ? WHERE kind = ? AND owner = ?",
      ),
      membersOf: db.prepare<[string], { user_name: string }>(
        "SELECT user_name FROM iam_group_members WHERE group_name = ? ORDER BY rowid",
      ),
      groupsOfUser: db.prepare<[string], GroupRow>(
        `SELECT g.* FROM iam_group_members m JOIN iam_groups g ON g.name = m.group_name
         WHERE m.user_name = ? ORDER BY g.name COLLATE BINARY`,
      ),
      isMember: db.prepare<[string, string], { one: number }>(
        "SELECT 1 AS one FROM iam_group_members WHERE group_name = ? AND user_name = ?",
      ),
      addMember: db.prepare<[string, string]>(
        "INSERT OR IGNORE INTO iam_group_members (group_name, user_name) VALUES (?, ?)",
      ),
      removeMember: db.prepare<[string, string]>(
        "DELETE FROM iam_group_members WHERE group_name = ? AND user_name = ?",
      ),
      key: db.prepare<[string], KeyRow>("SELECT * FROM iam_access_keys WHERE id = ?"),
      keysOf: db.prepare<[string], KeyRow>(
        "SELECT * FROM iam_access_keys WHERE user_name = ? ORDER BY created, id",
      ),
      insertKey: db.prepare(
        "INSERT INTO iam_access_keys (id, user_name, secret, status, created) VALUES (@id, @user_name, @secret, @status, @created)",
      ),
      deleteKey: db.prepare<[string]>("DELETE FROM iam_access_keys WHERE id = ?"),
      setKeyStatus: db.prepare<[string, string]>("UPDATE iam_access_keys SET status = ? WHERE id = ?"),
      inline: db.prepare<[string, string, string], { document: string }>(
        "SELECT document FROM iam_inline_policies WHERE kind = ? AND owner = ? AND name = ?",
      ),
      inlineOf: db.prepare<[string, string], { name: string; document: string }>(
        "SELECT name, document FROM iam_inline_policies WHERE kind = ? AND owner = ? ORDER BY name",
      ),
      putInline: db.prepare(
        `INSERT INTO iam_inline_policies (kind, owner, name, document) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, owner, name) DO UPDATE SET document = excluded.document`,
      ),
      deleteInline: db.prepare<[string, string, string]>(
        "DELETE FROM iam_inline_policies WHERE kind = ? AND owner = ? AND name = ?",
      ),
      policy: db.prepare<[string], PolicyRow>("SELECT * FROM iam_policies WHERE arn = ?"),
      policies: db.prepare<[], PolicyRow>("SELECT * FROM iam_policies ORDER BY name, arn"),
      insertPolicy: db.prepare(
        `INSERT INTO iam_policies (arn, name, id, path, description, default_version, next_version, created, updated, aws_managed)
         VALUES (@arn, @name, @id, @path, @description, @default_version, @next_version, @created, @updated, @aws_managed)`,
      ),
      updateAwsPolicy: db.prepare(
        `UPDATE iam_policies SET description = @description, default_version = @default_version, updated = @updated
         WHERE arn = @arn`,
      ),
      deletePolicy: db.prepare<[string]>("DELETE FROM iam_policies WHERE arn = ?"),
      setDefaultVersion: db.prepare<[string, string, string]>(
        "UPDATE iam_policies SET default_version = ?, updated = ? WHERE arn = ?",
      ),
      bumpNextVersion: db.prepare<[string]>(
        "UPDATE iam_policies SET next_version = next_version + 1 WHERE arn = ?",
      ),
      version: db.prepare<[string, string], { version_id: string; document: string; created: string }>(
        "SELECT version_id, document, created FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?",
      ),
      versions: db.prepare<[string], { version_id: string; document: string; created: string }>(
        "SELECT version_id, document, created FROM iam_policy_versions WHERE policy_arn = ? ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC",
      ),
      putVersion: db.prepare(
        `INSERT INTO iam_policy_versions (policy_arn, version_id, document, created) VALUES (?, ?, ?, ?)
         ON CONFLICT (policy_arn, version_id) DO UPDATE SET document = excluded.document`,
      ),
      deleteVersion: db.prepare<[string, string]>(
        "DELETE FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?",
      ),
      defaultDocument: db.prepare<[string], { document: string }>(
        `SELECT v.document FROM iam_policies p JOIN iam_policy_versions v
           ON v.policy_arn = p.arn AND v.version_id = p.default_version WHERE p.arn = ?`,
      ),
      attachedDocuments: db.prepare<[string, string], { arn: string; document: string }>(
        `SELECT p.arn, v.document FROM iam_attachments a JOIN iam_policies p ON p.arn = a.policy_arn
           JOIN iam_policy_versions v ON v.policy_arn = p.arn AND v.version_id = p.default_version
         WHERE a.kind = ? AND a.owner = ? ORDER BY a.rowid`,
      ),
      attachedOf: db.prepare<[string, string], { policy_arn: string; name: string; path: string }>(
        `SELECT a.policy_arn, p.name, p.path FROM iam_attachments a JOIN iam_policies p ON p.arn = a.policy_arn
         WHERE a.kind = ? AND a.owner = ? ORDER BY a.rowid`,
      ),
      attach: db.prepare<[string, string, string]>(
        "INSERT OR IGNORE INTO iam_attachments (kind, owner, policy_arn) VALUES (?, ?, ?)",
      ),
      detach: db.prepare<[string, string, string]>(
        "DELETE FROM iam_attachments WHERE kind = ? AND owner = ? AND policy_arn = ?",
      ),
      isAttached: db.prepare<[string, string, string], { one: number }>(
        "SELECT 1 AS one FROM iam_attachments WHERE kind = ? AND owner = ? AND policy_arn = ?",
      ),
      attachmentsOfPolicy: db.prepare<[string], { kind: PrincipalKind; owner: string }>(
        "SELECT kind, owner FROM iam_attachments WHERE policy_arn = ? ORDER BY rowid",
      ),
      attachmentCount: db.prepare<[string], { n: number }>(
        "SELECT count(*) AS n FROM iam_attachments WHERE policy_arn = ?",
      ),
      boundaryCount: db.prepare<[string, string], { n: number }>(
        `SELECT (SELECT count(*) FROM iam_users WHERE boundary_arn = ?) + (SELECT count(*) FROM iam_roles WHERE boundary_arn = ?) AS n`,
      ),
      oidc: db.prepare<[string], OidcRow>("SELECT * FROM iam_oidc_providers WHERE url = ?"),
      oidcByArn: db.prepare<[string], OidcRow>("SELECT * FROM iam_oidc_providers WHERE arn = ?"),
      oidcs: db.prepare<[], OidcRow>("SELECT * FROM iam_oidc_providers ORDER BY arn"),
      insertOidc: db.prepare(
        "INSERT INTO iam_oidc_providers (url, arn, client_ids, thumbprints, created) VALUES (@url, @arn, @client_ids, @thumbprints, @created)",
      ),
      updateOidc: db.prepare<[string, string, string]>(
        "UPDATE iam_oidc_providers SET client_ids = ?, thumbprints = ? WHERE arn = ?",
      ),
      deleteOidc: db.prepare<[string]>("DELETE FROM iam_oidc_providers WHERE arn = ?"),
      tags: db.prepare<[string, string], Tag>(
        "SELECT key AS Key, value AS Value FROM iam_tags WHERE kind = ? AND owner = ? ORDER BY rowid",
      ),
      putTag: db.prepare<[string, string, string, string]>(
        `INSERT INTO iam_tags (kind, owner, key, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, owner, key) DO UPDATE SET key = excluded.key, value = excluded.value`,
      ),
      deleteTag: db.prepare<[string, string, string]>(
        "DELETE FROM iam_tags WHERE kind = ? AND owner = ? AND key = ?",
      ),
      deleteTags: db.prepare<[string, string]>("DELETE FROM iam_tags WHERE kind = ? AND owner = ?"),
      counts: db.prepare<[], Record<string, number>>(
        `SELECT (SELECT count(*) FROM iam_users) AS Users, (SELECT count(*) FROM iam_roles) AS Roles,
                (SELECT count(*) FROM iam_groups) AS Groups,
                (SELECT count(*) FROM iam_policies WHERE aws_managed = 0) AS Policies,
                (SELECT count(*) FROM iam_policy_versions v JOIN iam_policies p ON p.arn = v.policy_arn WHERE p.aws_managed = 0) AS PolicyVersionsInUse,
                (SELECT count(*) FROM iam_oidc_providers) AS Providers`,
      ),
    };
    for (const statement of Object.values(this.#q)) {
      if (statement.reader) continue;
      const run = statement.run.bind(statement) as (...args: unknown[]) => Database.RunResult;
      (statement as { run: unknown }).run = (...args: unknown[]) => {
        this.#cache.invalidate();
        return run(...args);
      };
    }
    this.#seedAwsManagedPolicies();
  }

  generation(): number | undefined {
    return this.#cache.generation();
  }

  #cached<T>(key: string, load: () => T): T {
    return this.#cache.get(key, load);
  }

  /** AWS managed policies: inserted, or refreshed when the twin ships a newer document. */
  #seedAwsManagedPolicies(): void {
    this.store.tx(() => {
      for (const p of awsManagedPolicies) {
        const arn = awsManagedPolicyArn(p);
        const row = {
          arn,
          name: p.name,
          id: `ANPA${awsPolicyIdSuffix(p.name)}`,
          path: p.path,
          description: p.description,
          default_version: p.versionId,
          next_version: Number(p.versionId.slice(1)) + 1,
          created: new Date(p.createDate).toISOString(),
          updated: new Date(p.updateDate).toISOString(),
          aws_managed: 1,
        };
        if (this.#q.policy.get(arn)) this.#q.updateAwsPolicy.run(row);
        else this.#q.insertPolicy.run(row);
        this.#q.putVersion.run(arn, p.versionId, p.document, row.updated);
      }
    });
  }

  // ---- users ----

  getUser(userName: string): IamUser | undefined {
    return this.#cached(`user\0${userName.toLowerCase()}`, () => {
      const row = this.#q.user.get(userName);
      return row && this.#user(row);
    });
  }

  listUsers(): IamUser[] {
    return this.#q.users.all().map((r) => this.#user(r));
  }

  #user(row: UserRow): IamUser {
    return {
      UserName: row.name,
      UserId: row.id,
      Arn: row.arn,
      Path: row.path,
      CreateDate: new Date(row.created),
      PermissionsBoundary: boundary(row.boundary_arn),
      Tags: this.getTags("user", row.name),
    };
  }

  insertUser(u: {
    UserName: string;
    UserId: string;
    Arn: string;
    Path: string;
    CreateDate: Date;
    boundaryArn?: string;
  }): void {
    this.#q.insertUser.run({
      name: u.UserName,
      id: u.UserId,
      arn: u.Arn,
      path: u.Path,
      created: u.CreateDate.toISOString(),
      boundary_arn: u.boundaryArn ?? null,
    });
  }

  deleteUser(userName: string): void {
    this.#q.deleteUser.run(userName);
    this.#q.deleteTags.run("user", userName);
  }

  setUserBoundary(userName: string, arn: string | null): void {
    this.#q.setUserBoundary.run(arn, userName);
  }

  // ---- groups ----

  getGroup(groupName: string): IamGroup | undefined {
    const row = this.#q.group.get(groupName);
    return row && group(row);
  }

  listGroups(): IamGroup[] {
    return this.#q.groups.all().map(group);
  }

  insertGroup(g: IamGroup): void {
    this.#q.insertGroup.run({
      name: g.GroupName,
      id: g.GroupId,
      arn: g.Arn,
      path: g.Path,
      created: g.CreateDate.toISOString(),
    });
  }

  deleteGroup(groupName: string): void {
    this.#q.deleteGroup.run(groupName);
  }

  /** UpdateGroup: a new name and path (and so ARN); members, inline policies and attachments follow. */
  renameGroup(groupName: string, newName: string, newPath: string, newArn: string): void {
    this.#q.renameGroup.run(newName, newPath, newArn, groupName);
    this.#q.renameGroupMembers.run(newName, groupName);
    this.#q.renameOwnerInline.run(newName, "group", groupName);
    this.#q.renameOwnerAttachments.run(newName, "group", groupName);
  }

  /** The group's members' user names, in the order they were added. */
  membersOf(groupName: string): string[] {
    return this.#q.membersOf.all(groupName).map((r) => r.user_name);
  }

  groupsOfUser(userName: string): IamGroup[] {
    return this.#q.groupsOfUser.all(userName).map(group);
  }

  isMember(groupName: string, userName: string): boolean {
    return this.#q.isMember.get(groupName, userName) !== undefined;
  }

  addMember(groupName: string, userName: string): void {
    this.#q.addMember.run(groupName, userName);
  }

  removeMember(groupName: string, userName: string): void {
    this.#q.removeMember.run(groupName, userName);
  }

  // ---- access keys ----

  getAccessKey(accessKeyId: string): AccessKeyRecord | undefined {
    return this.#cached(`key\0${accessKeyId}`, () => {
      const row = this.#q.key.get(accessKeyId);
      return row && key(row);
    });
  }

  accessKeysOf(userName: string): AccessKeyRecord[] {
    return this.#q.keysOf.all(userName).map(key);
  }

  insertAccessKey(k: AccessKeyRecord): void {
    this.#q.insertKey.run({
      id: k.AccessKeyId,
      user_name: k.UserName,
      secret: k.SecretAccessKey,
      status: k.Status,
      created: k.CreateDate.toISOString(),
    });
  }

  deleteAccessKey(id: string): void {
    this.#q.deleteKey.run(id);
  }

  setAccessKeyStatus(id: string, status: "Active" | "Inactive"): void {
    this.#q.setKeyStatus.run(status, id);
  }

  // ---- roles ----

  getRole(roleName: string): IamRole | undefined {
    return this.#cached(`role\0${roleName.toLowerCase()}`, () => {
      const row = this.#q.role.get(roleName);
      return row && this.#role(row);
    });
  }

  getRoleByArn(arn: string): IamRole | undefined {
    const entity = entityOfArn(arn, this.accountId);
    return entity?.kind === "role" ? this.getRole(entity.name) : undefined;
  }

  listRoles(): IamRole[] {
    return this.#q.roles.all().map((r) => this.#role(r));
  }

  #role(row: RoleRow): IamRole {
    return {
      RoleName: row.name,
      RoleId: row.id,
      Arn: row.arn,
      Path: row.path,
      CreateDate: new Date(row.created),
      AssumeRolePolicyDocument:
        row.trust_principals === null
          ? row.trust
          : currentTrustText(row.trust, JSON.parse(row.trust_principals), this.accountId, this.#idOf),
      Description: row.description ?? undefined,
      MaxSessionDuration: row.max_session,
      PermissionsBoundary: boundary(row.boundary_arn),
      Tags: this.getTags("role", row.name),
    };
  }

  /** A user's or role's unique id, read from its row (not through #role, which calls this). */
  readonly #idOf = (kind: "user" | "role", name: string): string | undefined =>
    (kind === "user" ? this.#q.userId.get(name) : this.#q.roleId.get(name)) as string | undefined;

  #principalIds(trust: string): string {
    return JSON.stringify(principalIdsOf(trust, this.accountId, this.#idOf));
  }

  insertRole(r: Omit<IamRole, "Tags" | "PermissionsBoundary"> & { boundaryArn?: string }): void {
    this.#q.insertRole.run({
      name: r.RoleName,
      id: r.RoleId,
      arn: r.Arn,
      path: r.Path,
      created: r.CreateDate.toISOString(),
      trust: r.AssumeRolePolicyDocument,
      trust_principals: this.#principalIds(r.AssumeRolePolicyDocument),
      description: r.Description ?? null,
      max_session: r.MaxSessionDuration,
      boundary_arn: r.boundaryArn ?? null,
    });
  }

  deleteRole(roleName: string): void {
    this.#q.deleteRole.run(roleName);
    this.#q.deleteTags.run("role", roleName);
  }

  updateRole(roleName: string, changes: { trust?: string; description?: string; maxSession?: number }): void {
    if (changes.trust !== undefined)
      this.#q.setRoleTrust.run(changes.trust, this.#principalIds(changes.trust), roleName);
    if (changes.description !== undefined) this.#q.setRoleDescription.run(changes.description, roleName);
    if (changes.maxSession !== undefined) this.#q.setRoleMaxSession.run(changes.maxSession, roleName);
  }

  setRoleBoundary(roleName: string, arn: string | null): void {
    this.#q.setRoleBoundary.run(arn, roleName);
  }

  // ---- inline policies ----

  getInlinePolicy(kind: PrincipalKind, owner: string, name: string): string | undefined {
    return this.#q.inline.get(kind, owner, name)?.document;
  }

  inlinePoliciesOf(kind: PrincipalKind, owner: string): { name: string; document: string }[] {
    return this.#q.inlineOf.all(kind, owner);
  }

  putInlinePolicy(kind: PrincipalKind, owner: string, name: string, document: string): void {
    this.#q.putInline.run(kind, owner, name, document);
  }

  deleteInlinePolicy(kind: PrincipalKind, owner: string, name: string): void {
    this.#q.deleteInline.run(kind, owner, name);
  }

  // ---- managed policies ----

  getPolicy(arn: string): PolicyRecord | undefined {
    const row = this.#q.policy.get(arn);
    return row && policy(row);
  }

  listPolicies(): PolicyRecord[] {
    return this.#q.policies.all().map(policy);
  }

  insertPolicy(p: Omit<PolicyRecord, "nextVersion" | "awsManaged">, document: string): void {
    this.#q.insertPolicy.run({
      arn: p.Arn,
      name: p.PolicyName,
      id: p.PolicyId,
      path: p.Path,
      description: p.Description ?? null,
      default_version: p.DefaultVersionId,
      next_version: 2,
      created: p.CreateDate.toISOString(),
      updated: p.UpdateDate.toISOString(),
      aws_managed: 0,
    });
    this.#q.putVersion.run(p.Arn, p.DefaultVersionId, document, p.CreateDate.toISOString());
  }

  deletePolicy(arn: string): void {
    this.#q.deletePolicy.run(arn);
    this.#q.deleteTags.run("policy", arn);
  }

  getPolicyVersion(arn: string, versionId: string): PolicyVersionRecord | undefined {
    const p = this.#q.policy.get(arn);
    const v = p && this.#q.version.get(arn, versionId);
    return (
      v && {
        VersionId: v.version_id,
        Document: v.document,
        CreateDate: new Date(v.created),
        IsDefaultVersion: v.version_id === p.default_version,
      }
    );
  }

  policyVersions(arn: string): PolicyVersionRecord[] {
    const p = this.#q.policy.get(arn);
    if (!p) return [];
    return this.#q.versions.all(arn).map((v) => ({
      VersionId: v.version_id,
      Document: v.document,
      CreateDate: new Date(v.created),
      IsDefaultVersion: v.version_id === p.default_version,
    }));
  }

  /** Adds the next version (v<n>) and returns its id. */
  addPolicyVersion(arn: string, document: string, now: Date, setAsDefault: boolean): string {
    const p = this.#q.policy.get(arn);
    if (!p) throw new TypeError(`no policy ${arn}`);
    const id = `v${p.next_version}`;
    this.#q.putVersion.run(arn, id, document, now.toISOString());
    this.#q.bumpNextVersion.run(arn);
    if (setAsDefault) this.#q.setDefaultVersion.run(id, now.toISOString(), arn);
    return id;
  }

  setDefaultPolicyVersion(arn: string, versionId: string, now: Date): void {
    this.#q.setDefaultVersion.run(versionId, now.toISOString(), arn);
  }

  deletePolicyVersion(arn: string, versionId: string): void {
    this.#q.deleteVersion.run(arn, versionId);
  }

  managedPolicyDocument(arn: string): NamedDocument | undefined {
    return this.#cached(`managed\0${arn}`, () => {
      const row = this.#q.defaultDocument.get(arn);
      return row && { id: arn, document: row.document };
    });
  }

  attachmentCount(arn: string): number {
    return this.#q.attachmentCount.get(arn)?.n ?? 0;
  }

  boundaryUsageCount(arn: string): number {
    return this.#q.boundaryCount.get(arn, arn)?.n ?? 0;
  }

  attachmentsOfPolicy(arn: string): { kind: PrincipalKind; owner: string }[] {
    return this.#q.attachmentsOfPolicy.all(arn);
  }

  // ---- attachments ----

  attachedPolicies(
    kind: PrincipalKind,
    owner: string,
  ): { PolicyName: string; PolicyArn: string; Path: string }[] {
    return this.#q.attachedOf
      .all(kind, owner)
      .map((r) => ({ PolicyName: r.name, PolicyArn: r.policy_arn, Path: r.path }));
  }

  isAttached(kind: PrincipalKind, owner: string, arn: string): boolean {
    return this.#q.isAttached.get(kind, owner, arn) !== undefined;
  }

  attach(kind: PrincipalKind, owner: string, arn: string): void {
    this.#q.attach.run(kind, owner, arn);
  }

  detach(kind: PrincipalKind, owner: string, arn: string): void {
    this.#q.detach.run(kind, owner, arn);
  }

  identityPolicies(kind: PrincipalKind, name: string): NamedDocument[] {
    return this.#cached(`identity\0${kind}\0${name.toLowerCase()}`, () => {
      const out: NamedDocument[] = [];
      const seen = new Set<string>();
      const add = (owner: PrincipalKind, ownerName: string) => {
        for (const p of this.#q.inlineOf.all(owner, ownerName))
          out.push({ id: `inline:${owner}/${ownerName}/${p.name}`, document: p.document });
        for (const a of this.#q.attachedDocuments.all(owner, ownerName)) {
          // A managed policy attached to the user and to one of its groups applies once.
          if (seen.has(a.arn)) continue;
          seen.add(a.arn);
          out.push({ id: a.arn, document: a.document });
        }
      };
      add(kind, name);
      // A user's identity policies include those of every group it belongs to
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html).
      if (kind === "user") for (const g of this.#q.groupsOfUser.all(name)) add("group", g.name);
      return out;
    });
  }

  // ---- OIDC providers ----

  getOidcProvider(url: string): OidcProvider | undefined {
    return this.#cached(`oidc\0${url}`, () => {
      const row = this.#q.oidc.get(url);
      return row && this.#oidc(row);
    });
  }

  getOidcProviderByArn(arn: string): OidcProvider | undefined {
    const row = this.#q.oidcByArn.get(arn);
    return row && this.#oidc(row);
  }

  listOidcProviders(): OidcProvider[] {
    return this.#q.oidcs.all().map((r) => this.#oidc(r));
  }

  #oidc(row: OidcRow): OidcProvider {
    return {
      Arn: row.arn,
      Url: row.url,
      ClientIDList: JSON.parse(row.client_ids) as string[],
      ThumbprintList: JSON.parse(row.thumbprints) as string[],
      CreateDate: new Date(row.created),
      Tags: this.getTags("oidc", row.arn),
    };
  }

  insertOidcProvider(p: Omit<OidcProvider, "Tags">): void {
    this.#q.insertOidc.run({
      url: p.Url,
      arn: p.Arn,
      client_ids: JSON.stringify(p.ClientIDList),
      thumbprints: JSON.stringify(p.ThumbprintList),
      created: p.CreateDate.toISOString(),
    });
  }

  updateOidcProvider(arn: string, clientIds: string[], thumbprints: string[]): void {
    this.#q.updateOidc.run(JSON.stringify(clientIds), JSON.stringify(thumbprints), arn);
  }

  deleteOidcProvider(arn: string): void {
    this.#q.deleteOidc.run(arn);
    this.#q.deleteTags.run("oidc", arn);
  }

  // ---- tags ----

  getTags(kind: TagKind, owner: string): Tag[] {
    return this.#q.tags.all(kind, owner);
  }

  /** Adds or replaces tags; an existing key in another case is replaced by the new spelling. */
  putTags(kind: TagKind, owner: string, tags: readonly Tag[]): void {
    for (const t of tags) this.#q.putTag.run(kind, owner, t.Key, t.Value);
  }

  removeTags(kind: TagKind, owner: string, keys: readonly string[]): void {
    for (const k of keys) this.#q.deleteTag.run(kind, owner, k);
  }

  summaryCounts(): Record<string, number> {
    return this.#q.counts.get() ?? {};
  }
}

function group(row: GroupRow): IamGroup {
  return {
    GroupName: row.name,
    GroupId: row.id,
    Arn: row.arn,
    Path: row.path,
    CreateDate: new Date(row.created),
  };
}

function key(row: KeyRow): AccessKeyRecord {
  return {
    AccessKeyId: row.id,
    SecretAccessKey: row.secret,
    UserName: row.user_name,
    Status: row.status,
    CreateDate: new Date(row.created),
  };
}

function policy(row: PolicyRow): PolicyRecord {
  return {
    Arn: row.arn,
    PolicyName: row.name,
    PolicyId: row.id,
    Path: row.path,
    Description: row.description ?? undefined,
    DefaultVersionId: row.default_version,
    nextVersion: row.next_version,
    CreateDate: new Date(row.created),
    UpdateDate: new Date(row.updated),
    awsManaged: row.aws_managed === 1,
  };
}

/** A stable 17-character id for an AWS managed policy (the same in every state, as AWS's are). */
function awsPolicyIdSuffix(name: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let h = 2166136261;
  let out = "";
  for (let i = 0; out.length < 17; i++) {
    h ^= name.charCodeAt(i % name.length) + i;
    h = Math.imul(h, 16777619) >>> 0;
    out += alphabet[h % 32];
  }
  return out;
}
