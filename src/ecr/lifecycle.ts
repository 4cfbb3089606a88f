// Lifecycle policies: validation and the pure evaluation of which images expire
// (ecr-registry.md §7; https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html).

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export interface LifecycleImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
}

/** Returns the parsed rules, or a problem text (the operation answers InvalidParameterException). */
export function validateLifecyclePolicy(text: string): { rules: LifecycleRule[] } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problem: "Lifecycle policy is not valid JSON" };
  }
  const rules = (doc as { rules?: unknown })?.rules;
  if (!Array.isArray(rules) || rules.length === 0)
    return { problem: "Lifecycle policy must contain at least one rule" };
  const priorities = new Set<number>();
  let untagged = 0;
  const out: LifecycleRule[] = [];
  for (const r of rules as LifecycleRule[]) {
    if (!Number.isInteger(r?.rulePriority) || r.rulePriority < 1)
      return { problem: "rulePriority must be a positive integer" };
    if (priorities.has(r.rulePriority)) return { problem: "rulePriority must be unique" };
    priorities.add(r.rulePriority);
    const s = r.selection;
    if (!s || !["tagged", "untagged", "any"].includes(s.tagStatus))
      return { problem: "selection.tagStatus is invalid" };
    const patterns = s.tagPrefixList ?? s.tagPatternList;
    if (s.tagStatus === "tagged" && !patterns?.length) {
      return { problem: "tagPrefixList or tagPatternList is required when tagStatus is tagged" };
    }
    if (s.tagStatus !== "tagged" && patterns?.length) {
      return { problem: "tagPrefixList and tagPatternList are allowed only when tagStatus is tagged" };
    }
    if (s.countType === "sinceImagePushed") {
      if (s.countUnit !== "days")
        return { problem: "countUnit must be days when countType is sinceImagePushed" };
    } else if (s.countType === "imageCountMoreThan") {
      if (s.countUnit !== undefined)
        return { problem: "countUnit is allowed only when countType is sinceImagePushed" };
    } else return { problem: "selection.countType is invalid" };
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1)
      return { problem: "countNumber must be a positive integer" };
    if (r.action?.type !== "expire") return { problem: "action.type must be expire" };
    if (s.tagStatus === "untagged") untagged++;
    out.push(r);
  }
  if (untagged > 1) return { problem: "Only one rule can select untagged images" };
  const maxPriority = Math.max(...priorities);
  for (const r of out) {
    if (r.selection.tagStatus === "any" && r.rulePriority !== maxPriority) {
      return { problem: "A rule with tagStatus any must have the highest rulePriority" };
    }
  }
  return { rules: out.sort((a, b) => a.rulePriority - b.rulePriority) };
}

/** `*` wildcards in tagPatternList; prefixes in tagPrefixList. */
function tagMatches(tag: string, pattern: string, wildcard: boolean): boolean {
  if (!wildcard) return tag.startsWith(pattern);
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(tag);
}

function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  if (s.tagStatus === "any") return true;
  if (s.tagStatus === "untagged") return image.tags.length === 0;
  if (image.tags.length === 0) return false;
  // Every listed prefix must match some tag of the image (AND across the list).
  const wildcard = Boolean(s.tagPatternList?.length);
  const patterns = (wildcard ? s.tagPatternList : s.tagPrefixList) ?? [];
  return patterns.every((p) => image.tags.some((t) => tagMatches(t, p, wildcard)));
}

/** The digests the rules expire now. Each image is expired by at most one rule, in priority order. */
export function evaluateLifecycle(rules: LifecycleRule[], images: LifecycleImage[], now: Date): string[] {
  const taken = new Set<string>();
  const expired: string[] = [];
  for (const rule of [...rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const matching = images
      .filter((i) => !taken.has(i.digest) && selects(rule, i))
      .sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime());
    const s = rule.selection;
    let chosen: LifecycleImage[];
    if (s.countType === "imageCountMoreThan") chosen = matching.slice(s.countNumber);
    else {
      const cutoff = now.getTime() - s.countNumber * 86_400_000;
      chosen = matching.filter((i) => i.pushedAt.getTime() < cutoff);
    }
    // Images a rule matches but keeps are not offered to lower-priority rules either.
    for (const i of matching) taken.add(i.digest);
    for (const i of chosen) expired.push(i.digest);
  }
  return expired;
}
