// The credential failures keyship explains, each a typed value with the lines to print.

export type CredentialsProblem =
  | "missing-id-token-permission"
  | "fork-pull-request"
  | "token-request-failed"
  | "token-file"
  | "access-denied"
  | "invalid-token"
  | "no-credentials"
  | "sts-error";

export class CredentialsError extends Error {
  readonly problem: CredentialsProblem;
  /** Lines after the headline: causes, the token's claims, the fix. */
  readonly details: string[];
  constructor(problem: CredentialsProblem, headline: string, details: string[] = []) {
    super(headline);
    this.name = "CredentialsError";
    this.problem = problem;
    this.details = details;
  }

  /** Headline and details as printed. */
  render(): string {
    return [this.message, ...this.details.map((d) => `  ${d}`)].join("\n");
  }
}
