// keyship's command line: the usage text is the docs; each command lives in its own file.
import { pathToFileURL } from "node:url";

// The AWS SDK prints a notice on every client on Node 20 (past end of life); it clutters every command's
// output. Set before any SDK module loads (commands are imported lazily below); a user's own value wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

/** One line per command, in the order the usage text shows them. */
const commands: Record<string, Command> = {
  up: { summary: "serve the twin (OIDC, IAM, STS, ECR, ECS) on one port", load: () => import("./up.ts") },
  env: { summary: "print export lines for the twin's bootstrap admin", load: () => import("./env.ts") },
  "iam simulate": {
    summary: "evaluate {request, policies} cases (JSON or JSON lines) with the IAM engine",
    load: () => import("./iam-simulate.ts"),
  },
  deploy: {
    summary: "push, register, update and watch an ECS deploy, to AWS or the twin",
    load: () => import("./deploy.ts"),
  },
  diff: { summary: "what keyship deploy would change", load: () => import("./diff.ts") },
  verify: {
    summary: "check role, roles to pass, images, cluster and service before a deploy",
    load: () => import("./verify.ts"),
  },
  rollback: {
    summary: "put a service back on its previous task definition revision",
    load: () => import("./rollback.ts"),
  },
  "ecr login": {
    summary: "write an ECR login into docker/podman auth files (no password on argv)",
    load: () => import("./ecr-login.ts"),
  },
  decisions: {
    summary: "print the twin's authorization decisions, newest first",
    load: () => import("./decisions.ts"),
  },
  logs: {
    summary: "print a task's container output (the twin's ECS runtime)",
    load: () => import("./logs.ts"),
  },
  audit: {
    summary: "who can assume each GitHub role, and what is wrong with its policies",
    load: () => import("./audit.ts"),
  },
  preflight: {
    summary: "check a workflow's AWS calls against the roles before deploying",
    load: () => import("./preflight.ts"),
  },
  token: {
    summary: "print a GitHub Actions ID token signed by the twin's issuer",
    load: () => import("./token.ts"),
  },
  "job-env": {
    summary: "print the environment of a job, with its ID-token request variables",
    load: () => import("./job-env.ts"),
  },
  "keys rotate": {
    summary: "rotate the OIDC issuer's signing key (the old one stays published)",
    load: () => import("./keys.ts"),
  },
  explain: {
    summary: "explain whether a token may assume a role, down to the claim",
    load: () => import("./explain.ts"),
  },
  apply: {
    summary: "apply a Terraform configuration's IAM, ECR and ECS resources",
    load: () => import("./apply.ts"),
  },
  run: {
    summary: "run a deploy workflow locally against the twin, with built-in actions",
    load: () => import("./run.ts"),
  },
  demo: {
    summary: "the seed scenario end to end: apply, run the article's workflow, deploy",
    load: () => import("./demo.ts"),
  },
};

export const usage = `keyship: keyless deploys from GitHub Actions to AWS ECS, and a local twin to test them against

Usage: keyship <command> [options]     (keyship <command> --help for a command's options)

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`)
  .join("\n")}

Exit codes: 0 success, 1 the operation failed (deploy failed, finding at --fail-on, denied), 2 usage
error; some commands add their own (see their --help).
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    const { VERSION } = await import("../main.ts");
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // "keyship iam simulate", "keyship keys rotate", "keyship ecr login": two-word commands.
  const two = rest[0] ? `${name} ${rest[0]}` : "";
  const command = (two && commands[two]) || commands[name];
  if (!command) {
    process.stderr.write(`keyship: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  const args = two && commands[two] ? rest.slice(1) : rest;
  const mod = await command.load();
  return mod.run(args);
}

/** Runs the CLI and sets the process exit code; unexpected errors print one line, not a stack. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    process.stderr.write(`keyship: ${(err as Error)?.message ?? err}\n`);
    if (process.env.KEYSHIP_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await runCli(process.argv.slice(2));
