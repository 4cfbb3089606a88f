// The condition keys tags give a request (iam-policy.md §8), for every service alike: aws:RequestTag/<k>
// and aws:TagKeys for the tags a call carries, aws:ResourceTag/<k> (and the service's own alias, such as
// ecr:ResourceTag/<k>) for the tags of the resource it acts on.

/** A tag as the IAM and ECR APIs spell it (Key, Value) or as ECS does (key, value). */
export type TagPair =
  | { readonly Key: string; readonly Value: string }
  | { readonly key: string; readonly value: string };

const tagKey = (t: TagPair): string => ("Key" in t ? t.Key : t.key);
const tagValue = (t: TagPair): string => ("Key" in t ? t.Value : t.value);

/** aws:RequestTag/<k> and aws:TagKeys for a call that carries tags; nothing for one that carries none. */
export function requestTagContext(tags: readonly TagPair[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  const ctx: Record<string, string | string[]> = { "aws:TagKeys": tags.map(tagKey) };
  for (const t of tags) ctx[`aws:RequestTag/${tagKey(t)}`] = tagValue(t);
  return ctx;
}

/**
 * aws:ResourceTag/<k> for a call on an existing, tagged resource, and `<service>:ResourceTag/<k>` too for
 * a service whose Service Authorization Reference lists that alias (ecr, ecs).
 */
export function resourceTagContext(
  tags: readonly TagPair[] | undefined,
  service?: string,
): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const t of tags ?? []) {
    ctx[`aws:ResourceTag/${tagKey(t)}`] = tagValue(t);
    if (service) ctx[`${service}:ResourceTag/${tagKey(t)}`] = tagValue(t);
  }
  return ctx;
}
