// Tables for image references, ECR host parsing and the tar index.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ecrRegistryOf, formatImageRef, parseImageRef } from "../../../src/client/image/reference.ts";
import { readTarIndex, resolveMember } from "../../../src/client/image/tar-index.ts";
import { tarOf } from "./build-image.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseImageRef", () => {
  const cases: Array<[string, ReturnType<typeof parseImageRef>]> = [
    [
      "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/sample-app:latest",
      {
        registry: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com",
        repository: "sample-app",
        tag: "latest",
      },
    ],
    ["127.0.0.1:5000/team/app", { registry: "127.0.0.1:5000", repository: "team/app" }],
    [`localhost/app@${D}`, { registry: "localhost", repository: "app", digest: D }],
    [`r.io/a/b:t@${D}`, { registry: "r.io", repository: "a/b", tag: "t", digest: D }],
    ["nginx:latest", undefined],
    ["library/nginx", undefined],
    ["r.io/UPPER", undefined],
    ["r.io/app@sha256:xyz", undefined],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      assert.deepEqual(parseImageRef(text), want);
      if (want) assert.equal(formatImageRef(want), text);
    });
  }
});

describe("ecrRegistryOf", () => {
  const cases: Array<[string, ReturnType<typeof ecrRegistryOf>]> = [
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com", { accountId: "123456789012", region: "us-east-1" }],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", { accountId: "123456789012", region: "cn-north-1" }],
    [
      "123456789012.dkr.ecr.ap-northeast-1.localhost:4599",
      { accountId: "123456789012", region: "ap-northeast-1" },
    ],
    ["127.0.0.1:4599", undefined],
    ["ghcr.io", undefined],
  ];
  for (const [host, want] of cases) it(host, () => assert.deepEqual(ecrRegistryOf(host), want));
});

describe("readTarIndex", () => {
  it("finds members, offsets and sizes, and follows hard links", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keyship-tar-"));
    try {
      const tar = Buffer.concat([
        tarOf([
          { path: "a.txt", content: "hello" },
          { path: "dir/b.bin", content: Buffer.alloc(700, 1) },
        ]).subarray(0, -1024),
      ]);
      // Append a hard link entry by hand: type "1", linkname a.txt.
      const link = Buffer.alloc(512);
      link.write("c.txt", 0);
      link.write("0000644\0", 100);
      link.write("00000000000\0", 124);
      link.write("1", 156);
      link.write("a.txt", 157);
      link.write("ustar\0", 257);
      const path = join(dir, "t.tar");
      await writeFile(path, Buffer.concat([tar, link, Buffer.alloc(1024)]));
      const index = await readTarIndex(path);
      assert.deepEqual({ ...index.get("a.txt") }, { name: "a.txt", offset: 512, size: 5, type: "0" });
      assert.equal(index.get("dir/b.bin")?.size, 700);
      assert.equal(index.get("dir/b.bin")?.offset, 1536);
      assert.equal(resolveMember(index, "c.txt")?.name, "a.txt");
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
