// Test support for the IAM API tests: a live twin for one describe block and an SDK v3 IAM client as its admin.
import { after, before } from "node:test";
import { IAMClient } from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../../support/twin.ts";

export interface LiveIam {
  twin: Awaited<ReturnType<typeof withTwin>>;
  /** the bootstrap admin's client */
  iam: IAMClient;
}

/**
 * Call in a describe block: starts a twin (withTwin) and its admin's IAM client before the block's tests,
 * disposes of the twin after them. Read the fields inside the tests, once the hook has filled them.
 */
export function liveIam(): LiveIam {
  const live = {} as LiveIam;
  before(async () => {
    live.twin = await withTwin();
    live.iam = new IAMClient(clientConfig(live.twin));
  });
  after(() => live.twin.dispose());
  return live;
}
