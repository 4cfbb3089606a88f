// Session tags and source identity from a web identity token, held to the constraints AssumeRole's
// parameters have in the model (sts.md §2.6, §2.7): a token is input like any other.
import { validationError } from "../http/aws-error.ts";
import { SOURCE_IDENTITY, TAG_KEY, TAG_VALUE } from "./validate.ts";

const MAX_TAGS = 50;

/**
 * "Tag key–value pairs are not case sensitive, but case is preserved. This means that you cannot have
 * separate Department and department tag keys" (the STS model, AssumeRole Tags).
 */
export function refuseCaseDuplicates(keys: readonly string[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    const lower = k.toLowerCase();
    if (seen.has(lower))
      throw validationError("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(lower);
  }
}

/** The token's tags claim (already shaped as key → value), held to AssumeRole's Tags constraints. */
export function checkClaimedTags(
  claim: string,
  tags: Record<string, string>,
  transitive: readonly string[],
): void {
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS)
    throw validationError(`The ${claim} claim carries more than ${MAX_TAGS} session tags.`);
  if (transitive.length > MAX_TAGS)
    throw validationError(`The ${claim} claim names more than ${MAX_TAGS} transitive tag keys.`);
  for (const key of keys) {
    if (!fits(key, TAG_KEY))
      throw validationError(
        `Session tag key '${key}' in the ${claim} claim must be ${TAG_KEY.minLength}-${TAG_KEY.maxLength} characters matching ${TAG_KEY.patternText}.`,
      );
    if (!fits(tags[key]!, TAG_VALUE))
      throw validationError(
        `Session tag value of '${key}' in the ${claim} claim must be at most ${TAG_VALUE.maxLength} characters matching ${TAG_VALUE.patternText}.`,
      );
  }
  for (const key of transitive) {
    if (!fits(key, TAG_KEY))
      throw validationError(
        `Transitive tag key '${key}' in the ${claim} claim must be ${TAG_KEY.minLength}-${TAG_KEY.maxLength} characters matching ${TAG_KEY.patternText}.`,
      );
  }
  refuseCaseDuplicates(keys);
}

/** The token's source identity claim, held to AssumeRole's SourceIdentity constraints. */
export function checkClaimedSourceIdentity(claim: string, value: string): void {
  if (!fits(value, SOURCE_IDENTITY) || value.toLowerCase().startsWith("aws:"))
    throw validationError(
      `The ${claim} claim must be ${SOURCE_IDENTITY.minLength}-${SOURCE_IDENTITY.maxLength} characters matching ${SOURCE_IDENTITY.patternText}, not starting with 'aws:'.`,
    );
}

function fits(text: string, rule: { minLength?: number; maxLength: number; pattern: RegExp }): boolean {
  // lengths count code points, as the model's do
  const length = [...text].length;
  return length >= (rule.minLength ?? 0) && length <= rule.maxLength && rule.pattern.test(text);
}
