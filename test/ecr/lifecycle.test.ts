// Lifecycle policy validation and evaluation (ecr-registry.md §7).
import assert from "node:assert/strict";
import { it } from "node:test";
import { evaluateLifecycle, type LifecycleRule, validateLifecyclePolicy } from "../../src/ecr/lifecycle.ts";

const day = 86_400_000;
const now = new Date(Date.UTC(2026, 0, 31));
const img = (digest: string, tags: string[], daysAgo: number) => ({
  digest,
  tags,
  pushedAt: new Date(now.getTime() - daysAgo * day),
});

it("validates the rules AWS checks", () => {
  const bad = (rules: unknown[]) => "problem" in validateLifecyclePolicy(JSON.stringify({ rules }));
  const rule = (priority: number, selection: object) => ({
    rulePriority: priority,
    selection,
    action: { type: "expire" },
  });
  assert.ok(
    bad([rule(1, { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 })]),
    "tagged needs prefixes",
  );
  assert.ok(
    bad([rule(1, { tagStatus: "any", countType: "sinceImagePushed", countNumber: 1 })]),
    "sinceImagePushed needs days",
  );
  assert.ok(
    bad([
      rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }),
      rule(2, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 }),
    ]),
    "any must be last",
  );
  assert.ok(
    bad([
      rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 }),
      rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }),
    ]),
    "unique priorities",
  );
  assert.ok(
    !bad([
      rule(1, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }),
    ]),
  );
});

it("expires by count and by age, each image by at most one rule, higher priority first", () => {
  const rules: LifecycleRule[] = [
    {
      rulePriority: 1,
      selection: {
        tagStatus: "tagged",
        tagPrefixList: ["prod"],
        countType: "imageCountMoreThan",
        countNumber: 1,
      },
      action: { type: "expire" },
    },
    {
      rulePriority: 2,
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      action: { type: "expire" },
    },
    {
      rulePriority: 3,
      selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 2 },
      action: { type: "expire" },
    },
  ];
  const images = [
    img("p1", ["prod-1"], 3),
    img("p2", ["prod-2"], 1),
    img("u-old", [], 10),
    img("u-new", [], 1),
    img("d1", ["dev-1"], 5),
    img("d2", ["dev-2"], 2),
    img("d3", ["dev-3"], 4),
  ];
  const expired = evaluateLifecycle(rules, images, now).sort();
  // prod: keep newest (p2), expire p1. untagged older than 7 days: u-old; u-new is kept by rule 2
  // and therefore not offered to rule 3. any: of d1..d3 keep the 2 newest (d2, d3), expire d1.
  assert.deepEqual(expired, ["d1", "p1", "u-old"]);
});
