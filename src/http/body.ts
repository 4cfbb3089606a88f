// Reads a request body with a hard limit; its SHA-256 (SigV4's payload hash) is computed when asked for.
import { hash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AwsError } from "./aws-error.ts";

/** AWS APIs accept at most a few MiB per call; ECR UploadLayerPart carries base64 layer parts, so allow more. */
export const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

export interface ReadBody {
  bytes: Buffer;
  /** hex SHA-256 of the body, computed when first read */
  readonly sha256: string;
}

function readBodyOf(bytes: Buffer): ReadBody {
  let digest: string | undefined;
  return {
    bytes,
    get sha256() {
      digest ??= hash("sha256", bytes, "hex");
      return digest;
    },
  };
}

export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<ReadBody> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return Promise.reject(tooLarge(limit));
  // A body already read to its end has nothing left to give (and will not emit "end" again).
  if (req.readableEnded)
    return Promise.resolve({ bytes: Buffer.alloc(0), sha256: hash("sha256", "", "hex") });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const fail = (err: unknown) => {
      done();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: the connection is closed after the error response is written.
        fail(tooLarge(limit));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      resolve(readBodyOf(bytes));
    };
    // A client that hangs up mid-body is the client's failure, not an internal one (nothing to log).
    const onError = (err: NodeJS.ErrnoException) => fail(err.code === "ECONNRESET" ? incompleteBody() : err);
    const onClose = () => {
      if (!req.complete) fail(incompleteBody());
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
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
