// Tag<X>, Untag<X> and List<X>Tags, one implementation for every taggable IAM resource (users, roles,
// managed policies, OIDC providers): tags checked on the wire, aws:RequestTag/aws:TagKeys for the
// authorizer, at most 50 per resource. https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html
import type { Operation, RequestContext } from "../core/service.ts";
import type { Tag } from "./model.ts";
import { checkTagCount, type IamDeps, tagsOf } from "./operations-context.ts";
import { type Constraint, checkInput, listOf, paginate, required, shapes } from "./operations-input.ts";
import type { TagKind } from "./store.ts";
import { requestTagContext } from "./tag-keys.ts";

/** A taggable resource as its three tag operations see it. */
export interface Taggable {
  /** the resource in the operation names: Tag<noun>, Untag<noun>, List<noun>Tags */
  noun: string;
  /** the input member that names the resource, and its constraint */
  member: string;
  shape: Constraint;
  authorize(
    ctx: RequestContext,
    action: string,
    ref: string,
    extra?: Record<string, string | string[]>,
  ): void;
  /** the resource to tag or untag: where its tags are stored and the tags it has; throws when it is missing */
  writable(ref: string): { kind: TagKind; owner: string; tags: readonly Tag[] };
  /** the tags List<noun>Tags pages through; throws when the resource is missing */
  listed(ref: string): readonly Tag[];
}

export function tagOperations(d: IamDeps, t: Taggable): Record<string, Operation> {
  const { iam, store } = d;
  return {
    [`Tag${t.noun}`]: (input, ctx) => {
      checkInput(input, { [t.member]: required(t.shape), Tags: required(shapes.tagList) });
      const ref = input[t.member] as string;
      const tags = tagsOf(input.Tags);
      t.authorize(ctx, `iam:Tag${t.noun}`, ref, requestTagContext(tags));
      return store.tx(() => {
        const r = t.writable(ref);
        checkTagCount(r.tags, tags);
        iam.putTags(r.kind, r.owner, tags);
        return undefined;
      });
    },

    [`Untag${t.noun}`]: (input, ctx) => {
      checkInput(input, { [t.member]: required(t.shape), TagKeys: required(shapes.tagKeyList) });
      const ref = input[t.member] as string;
      const keys = listOf(input.TagKeys);
      t.authorize(ctx, `iam:Untag${t.noun}`, ref, { "aws:TagKeys": keys });
      return store.tx(() => {
        const r = t.writable(ref);
        iam.removeTags(r.kind, r.owner, keys);
        return undefined;
      });
    },

    [`List${t.noun}Tags`]: (input, ctx) => {
      checkInput(input, { [t.member]: required(t.shape), Marker: shapes.marker, MaxItems: shapes.maxItems });
      const ref = input[t.member] as string;
      t.authorize(ctx, `iam:List${t.noun}Tags`, ref);
      const { page, ...rest } = paginate(t.listed(ref), input);
      return { Tags: page, ...rest };
    },
  };
}
