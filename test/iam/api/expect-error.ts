// Test support for the IAM API tests: assert an SDK v3 call fails with AWS's code, HTTP status and message.
import assert from "node:assert/strict";

export async function expectAwsError(
  call: Promise<unknown>,
  expected: { code: string; status: number; message?: string | RegExp },
): Promise<void> {
  let failure: {
    name?: string;
    message?: string;
    Error?: { Code?: string };
    $metadata?: { httpStatusCode?: number };
  };
  try {
    await call;
  } catch (err) {
    failure = err as typeof failure;
    // The SDK names modeled errors <Code>Exception and keeps the wire code in Error.Code.
    const code = failure.Error?.Code ?? failure.name?.replace(/Exception$/, "");
    assert.equal(code, expected.code, `code (got ${failure.name}: ${failure.message})`);
    assert.equal(failure.$metadata?.httpStatusCode, expected.status, "HTTP status");
    if (typeof expected.message === "string") assert.equal(failure.message, expected.message);
    else if (expected.message) assert.match(failure.message ?? "", expected.message);
    return;
  }
  assert.fail(`expected ${expected.code}, but the call succeeded`);
}
