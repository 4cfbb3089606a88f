// IAM binds a trust policy to the users and roles it names, not to their names: when the policy is
// saved, each `AWS` principal that is a user or role of the account is recorded with its unique id.
// Delete that user and create another of the same name, and the policy no longer trusts it; GetRole
// then shows the old unique id where the ARN was. A recreated principal inheriting a role's trust
// would be an open door.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles

/** `arn → unique id` of the principals a policy names that resolved when it was saved. */
export type PrincipalIds = Record<string, string>;

const ENTITY_ARN = /^arn:aws:iam::(\d{12}):(user|role)\/(?:.*\/)?([^/]+)$/;

/** The user or role an ARN of `accountId` names, or undefined for anything else. */
export function entityOfArn(
  arn: string,
  accountId: string,
): { kind: "user" | "role"; name: string } | undefined {
  const m = ENTITY_ARN.exec(arn);
  if (!m || m[1] !== accountId) return undefined;
  return { kind: m[2] as "user" | "role", name: m[3]! };
}

/** Every `AWS` value of every Principal and NotPrincipal, in document order. */
function awsPrincipals(doc: unknown, visit: (value: string, replace: (v: string) => void) => void): void {
  const statements = (doc as { Statement?: unknown })?.Statement;
  for (const s of Array.isArray(statements) ? statements : [statements]) {
    if (typeof s !== "object" || s === null) continue;
    for (const element of ["Principal", "NotPrincipal"]) {
      const p = (s as Record<string, unknown>)[element];
      if (typeof p !== "object" || p === null) continue;
      const holder = p as Record<string, unknown>;
      const aws = holder.AWS;
      if (typeof aws === "string") visit(aws, (v) => (holder.AWS = v));
      else if (Array.isArray(aws))
        aws.forEach((value, i) => {
          if (typeof value === "string") visit(value, (v) => (aws[i] = v));
        });
    }
  }
}

/** The unique ids of the account's users and roles the policy names, as they are now. */
export function principalIdsOf(
  text: string,
  accountId: string,
  idOf: (kind: "user" | "role", name: string) => string | undefined,
): PrincipalIds {
  const ids: PrincipalIds = {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ids;
  }
  awsPrincipals(doc, (arn) => {
    const entity = entityOfArn(arn, accountId);
    const id = entity && idOf(entity.kind, entity.name);
    if (id !== undefined) ids[arn] = id;
  });
  return ids;
}

/**
 * The policy as IAM holds it now: a principal whose user or role is gone, or is another one by the
 * same name, appears as the unique id recorded when the policy was saved (and so matches no one).
 * The text is returned unchanged when every recorded principal is still the same one.
 */
export function currentTrustText(
  text: string,
  recorded: PrincipalIds,
  accountId: string,
  idOf: (kind: "user" | "role", name: string) => string | undefined,
): string {
  const stale = new Map<string, string>();
  for (const [arn, id] of Object.entries(recorded)) {
    const entity = entityOfArn(arn, accountId);
    if (!entity || idOf(entity.kind, entity.name) !== id) stale.set(arn, id);
  }
  if (stale.size === 0) return text;
  const doc = JSON.parse(text) as unknown;
  awsPrincipals(doc, (value, replace) => {
    const id = stale.get(value);
    if (id !== undefined) replace(id);
  });
  return JSON.stringify(doc);
}
