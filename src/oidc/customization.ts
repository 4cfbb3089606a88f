// Per-org and per-repo OIDC subject customization, as GitHub's REST API stores it (github-oidc.md §6.3).
import type { Store } from "../store/sqlite.ts";
import type { OrgSubCustomization, RepoSubCustomization, SubCustomization } from "./claims.ts";

const MIGRATIONS = [
  `CREATE TABLE oidc_sub_org (org TEXT PRIMARY KEY COLLATE NOCASE, doc TEXT NOT NULL);
   CREATE TABLE oidc_sub_repo (repo TEXT PRIMARY KEY COLLATE NOCASE, doc TEXT NOT NULL);`,
];

export class SubCustomizations {
  readonly #getOrg;
  readonly #getRepo;
  readonly #putOrg;
  readonly #putRepo;
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
    store.migrate("oidc", MIGRATIONS);
    const db = store.db;
    this.#getOrg = db.prepare<[string], { doc: string }>("SELECT doc FROM oidc_sub_org WHERE org = ?");
    this.#getRepo = db.prepare<[string], { doc: string }>("SELECT doc FROM oidc_sub_repo WHERE repo = ?");
    this.#putOrg = db.prepare(
      "INSERT INTO oidc_sub_org (org, doc) VALUES (?, ?) ON CONFLICT(org) DO UPDATE SET doc = excluded.doc",
    );
    this.#putRepo = db.prepare(
      "INSERT INTO oidc_sub_repo (repo, doc) VALUES (?, ?) ON CONFLICT(repo) DO UPDATE SET doc = excluded.doc",
    );
  }

  org(org: string): OrgSubCustomization | undefined {
    const row = this.#getOrg.get(org);
    return row ? (JSON.parse(row.doc) as OrgSubCustomization) : undefined;
  }

  repo(repository: string): RepoSubCustomization | undefined {
    const row = this.#getRepo.get(repository);
    return row ? (JSON.parse(row.doc) as RepoSubCustomization) : undefined;
  }

  /** What applies to a repository: its own setting and its owner's. */
  forRepository(repository: string): SubCustomization {
    const out: SubCustomization = {};
    const org = this.org(repository.split("/")[0] ?? "");
    const repo = this.repo(repository);
    if (org) out.org = org;
    if (repo) out.repo = repo;
    return out;
  }

  setOrg(org: string, value: OrgSubCustomization): void {
    this.#store.tx(() => this.#putOrg.run(org, JSON.stringify(value)));
  }

  setRepo(repository: string, value: RepoSubCustomization): void {
    this.#store.tx(() => this.#putRepo.run(repository, JSON.stringify(value)));
  }
}
