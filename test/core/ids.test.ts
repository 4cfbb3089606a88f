// Unique ids and key ids encode their account as AWS's do (sts.md §3.1): the account decodes back from
// any id the twin mints, and the decoder reads a real AWS key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accountUniqueId, randomIds, uniqueIdAccount } from "../../src/core/ids.ts";

test("a real temporary key id decodes to its account", () => {
  assert.equal(uniqueIdAccount("ASIA2AVYNEVMQECFBHEU"), "688655246681");
});

test("every prefix carries its account; key ids have 16 characters after the prefix, other ids 17", () => {
  for (const account of ["000000000001", "123456789012", "999999999999"]) {
    for (const [prefix, length] of [
      ["AKIA", 16],
      ["ASIA", 16],
      ["AIDA", 17],
      ["AROA", 17],
      ["ANPA", 17],
      ["AGPA", 17],
    ] as const) {
      const id = randomIds.uniqueId(prefix, account);
      assert.match(id, new RegExp(`^${prefix}[A-Z2-7]{${length}}$`), id);
      assert.equal(uniqueIdAccount(id), account, id);
    }
  }
});

test("ids of one account differ", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => accountUniqueId("AROA", "123456789012")));
  assert.equal(ids.size, 1000);
});
