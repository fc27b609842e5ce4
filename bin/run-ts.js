#!/usr/bin/env node
// Runs a TypeScript entry point (a benchmark, the fuzzer) through bin/ts-cache.js, the loader the
// CLI uses: each source compiled once per text, so what runs is always the code in the tree.
// Type checking is `npm run typecheck`.
"use strict";
const path = require("path");
require("./ts-cache").register();
const entry = process.argv[2];
if (!entry) {
  process.stderr.write("usage: run-ts.js FILE.ts [ARGS...]\n");
  process.exit(2);
}
process.argv.splice(2, 1);
require(path.resolve(entry));
