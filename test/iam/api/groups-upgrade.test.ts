// A state written before the twin knew groups (IAM schema at version 2, no group tables) is upgraded in place
// by the appended migration step: its users, keys and policies stay, and groups work on it.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetUserCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import Database from "better-sqlite3";
import { clientConfig, tempDir, withTwin } from "../../support/twin.ts";

test("a state from before groups is migrated: old entities kept, groups usable", async () => {
  const stateDir = await tempDir();
  try {
    const first = await withTwin({ stateDir });
    try {
      await new IAMClient(clientConfig(first)).send(new CreateUserCommand({ UserName: "old-user" }));
    } finally {
      await first.close();
    }
    // Turn the state back into what a twin without groups wrote.
    const db = new Database(join(stateDir, "keyship.db"));
    db.exec(`DROP TABLE iam_group_members; DROP TABLE iam_groups;
             UPDATE schema_versions SET version = 2 WHERE component = 'iam';`);
    db.close();

    const again = await withTwin({ stateDir });
    try {
      const iam = new IAMClient(clientConfig(again));
      assert.equal((await iam.send(new GetUserCommand({ UserName: "old-user" }))).User?.UserName, "old-user");
      await iam.send(new CreateGroupCommand({ GroupName: "new-group" }));
      await iam.send(new AddUserToGroupCommand({ GroupName: "new-group", UserName: "old-user" }));
      assert.deepEqual(
        (await iam.send(new GetGroupCommand({ GroupName: "new-group" }))).Users?.map((u) => u.UserName),
        ["old-user"],
      );
    } finally {
      await again.close();
    }
    const check = new Database(join(stateDir, "keyship.db"), { readonly: true });
    const version = check
      .prepare("SELECT version FROM schema_versions WHERE component = 'iam'")
      .pluck()
      .get();
    check.close();
    assert.equal(version, 3);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
