#!/usr/bin/env node
// The `gitops-cluster` command. See bin/run-ts.js for why TypeScript runs through ts-node.
"use strict";
const path = require("path");
require("ts-node").register({
  transpileOnly: true,
  project: path.join(__dirname, "..", "tsconfig.json"),
});
require("../cli/main").main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // A bug, not bad input: bad input is reported by the command itself without a trace.
    const detail = process.env.GITOPS_CLUSTER_DEBUG ? (err && err.stack) || err : (err && err.message) || err;
    process.stderr.write(`gitops-cluster: internal error: ${detail}\n(set GITOPS_CLUSTER_DEBUG=1 for the stack trace)\n`);
    process.exitCode = 3;
  },
);
