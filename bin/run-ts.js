#!/usr/bin/env node
// Runs a TypeScript entry point through ts-node, the same loader the Pulumi CLI uses for
// this program, so the CLI, the benchmarks and `pulumi up` always run the code in the tree
// (no build step whose output can go stale). Type checking is `npm run typecheck`.
"use strict";
const path = require("path");
require("ts-node").register({
  transpileOnly: true,
  project: path.join(__dirname, "..", "tsconfig.json"),
});
const entry = process.argv[2];
if (!entry) {
  process.stderr.write("usage: run-ts.js FILE.ts [ARGS...]\n");
  process.exit(2);
}
process.argv.splice(2, 1);
require(path.resolve(entry));
