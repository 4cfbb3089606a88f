// A twin in its own process for crash tests: `tsx test/registry/twin-process.ts STATE_DIR` prints one
// JSON line {url, admin} once listening, then serves until killed.
import { startTwin } from "../../src/main.ts";

const stateDir = process.argv[2];
if (!stateDir) throw new Error("usage: twin-process.ts STATE_DIR");
const twin = await startTwin({ stateDir, port: 0, log: () => {} });
process.stdout.write(`${JSON.stringify({ url: twin.url, admin: twin.admin })}\n`);
