#!/usr/bin/env node
// The `gitops-cluster` command. TypeScript is loaded through bin/ts-cache.js: compiled once per
// source text and cached, so a start does not pay for transpiling, and never runs stale code.
"use strict";
require("./ts-cache").register();
require("../cli/main").main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // A bug, not bad input: bad input is reported by the command itself without a trace.
    const detail = process.env.GITOPS_CLUSTER_DEBUG ? (err && err.stack) || err : (err && err.message) || err;
    process.stderr.write(`gitops-cluster: internal error: ${detail}\n(set GITOPS_CLUSTER_DEBUG=1 for the stack trace)\n`);
    process.exitCode = 3;
  },
);
