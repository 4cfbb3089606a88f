// TokenMap looks tokens up by their tail but answers only for the identical token, and stays bounded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenMap } from "../../src/oidc/token-map.ts";

describe("TokenMap", () => {
  const tail = "x".repeat(40);
  it("two tokens with the same tail are never taken for each other", () => {
    const m = new TokenMap<number>(8);
    m.set(`aaa.bbb.${tail}`, 1);
    assert.equal(m.get(`aaa.bbb.${tail}`), 1);
    assert.equal(m.get(`aaa.ccc.${tail}`), undefined, "same tail, another payload");
    m.set(`aaa.ccc.${tail}`, 2);
    assert.equal(m.get(`aaa.ccc.${tail}`), 2);
    assert.equal(m.get(`aaa.bbb.${tail}`), undefined, "the later token took the slot");
  });

  it("short keys work whole, and the map is bounded", () => {
    const m = new TokenMap<number>(4);
    for (let i = 0; i < 10; i++) m.set(`t${i}`, i);
    assert.equal(m.get("t9"), 9);
    assert.equal(m.get("t0"), undefined);
    assert.equal(m.get("t"), undefined);
  });
});
