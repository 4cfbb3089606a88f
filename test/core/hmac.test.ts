// HmacKey is HMAC as RFC 2104 defines it: RFC 4231's test vectors for HMAC-SHA-256 and -512
// (short, long and block-sized keys, data longer than a block), and createHmac on random inputs.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { HmacKey } from "../../src/core/hmac.ts";

// https://www.rfc-editor.org/rfc/rfc4231#section-4
const VECTORS: { name: string; key: Buffer; data: Buffer; sha256: string; sha512: string }[] = [
  {
    name: "4.2 (20-byte key)",
    key: Buffer.alloc(20, 0x0b),
    data: Buffer.from("Hi There"),
    sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    sha512:
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
  },
  {
    name: "4.3 (key shorter than the output)",
    key: Buffer.from("Jefe"),
    data: Buffer.from("what do ya want for nothing?"),
    sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    sha512:
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  },
  {
    name: "4.4 (50 bytes of 0xdd)",
    key: Buffer.alloc(20, 0xaa),
    data: Buffer.alloc(50, 0xdd),
    sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    sha512:
      "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
  },
  {
    name: "4.7 (131-byte key, longer than either block)",
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from(
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    sha512:
      "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
  },
];

describe("HmacKey", () => {
  for (const v of VECTORS) {
    it(`RFC 4231 ${v.name}`, () => {
      assert.equal(new HmacKey("sha256", v.key).mac(v.data).toString("hex"), v.sha256);
      assert.equal(new HmacKey("sha512", v.key).mac(v.data).toString("hex"), v.sha512);
    });
  }

  it("agrees with createHmac on random keys and messages, given whole or in parts", () => {
    for (let i = 0; i < 300; i++) {
      const key = randomBytes(i % 200);
      const data = randomBytes((i * 7) % 400);
      const text = `AWS4-HMAC-SHA256\n20261126T000000Z\n${i} é ✓`;
      for (const algorithm of ["sha256", "sha512"] as const) {
        const k = new HmacKey(algorithm, key);
        assert.deepEqual(k.mac(data), createHmac(algorithm, key).update(data).digest());
        assert.deepEqual(k.mac(text), createHmac(algorithm, key).update(text, "utf8").digest());
        const cut = i % (data.length + 1);
        assert.deepEqual(
          k.mac(text, data.subarray(0, cut), data.subarray(cut)),
          createHmac(algorithm, key).update(text, "utf8").update(data).digest(),
        );
      }
    }
  });

  it("a string key is its UTF-8 bytes, as SigV4's `AWS4` + secret", () => {
    const secret = "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    assert.deepEqual(
      new HmacKey("sha256", secret).mac("20150830"),
      createHmac("sha256", secret).update("20150830").digest(),
    );
  });
});
