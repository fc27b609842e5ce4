/** `npm run facts:flux`: writes the tables tools/flux-facts.ts derives from the upstream CRDs. */
import * as fs from "fs";
import * as path from "path";
import { deriveSchemaFacts, FLUX_RELEASE, SCHEMA_FACTS_FILE, schemaFactsText, SERVED_FILE, servedTableText, upstreamDir } from "./flux-facts";

const ROOT = path.join(__dirname, "..");
try {
  const dir = upstreamDir();
  fs.writeFileSync(SCHEMA_FACTS_FILE, schemaFactsText(deriveSchemaFacts(dir)));
  fs.writeFileSync(SERVED_FILE, servedTableText(dir, fs.readFileSync(SERVED_FILE, "utf8")));
  process.stdout.write(`facts:flux: wrote ${path.relative(ROOT, SCHEMA_FACTS_FILE)} and the ${FLUX_RELEASE} row of ${path.relative(ROOT, SERVED_FILE)} from ${dir}\n`);
} catch (err) {
  process.stderr.write(`facts:flux: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
