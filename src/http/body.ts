// Reads a request body with a hard limit, hashing it as it arrives (SigV4 needs the body's SHA-256).
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AwsError } from "./aws-error.ts";

/** AWS APIs accept at most a few MiB per call; ECR UploadLayerPart carries base64 layer parts, so allow more. */
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

export interface ReadBody {
  bytes: Buffer;
  sha256: string;
}

export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<ReadBody> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: the connection is closed after the error response is written.
        req.destroy();
        throw tooLarge(limit);
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (err) {
    // A client that hangs up mid-body is the client's failure, not an internal one (nothing to log).
    if ((err as NodeJS.ErrnoException).code === "ECONNRESET") throw incompleteBody();
    throw err;
  }
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest("hex") };
}

/** S3's name for a body shorter than its Content-Length (no one receives it: the client is gone). */
function incompleteBody(): AwsError {
  return new AwsError(
    "IncompleteBody",
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
    400,
  );
}

function tooLarge(limit: number): AwsError {
  return new AwsError("RequestEntityTooLarge", `Request body exceeds the limit of ${limit} bytes`, 413, {
    jsonCode: "RequestEntityTooLargeException",
  });
}
