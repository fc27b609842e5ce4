// Runs this package's TypeScript without transpiling it at every start, and without a build
// whose output can go stale.
//
// A `.ts` module is compiled with TypeScript's own `transpileModule` (what ts-node's
// transpile-only mode does) and the JavaScript is kept in node_modules/.cache/gitops-cluster/,
// under a SHA-256 of the source text, the TypeScript version and the compiler options. Every
// start reads each source it loads and hashes it, so an edited file (or another branch's new
// subcommand) misses the cache and is compiled again: what runs is always what is in the tree.
// `typescript` itself (slow to load) is loaded only on a miss. `npm ci` fills the cache through
// the `prepare` script (bin/ts-cache.js --warm), so the first run after set-up is fast too.
//
// Measured on this machine (2 shared cores): `gitops-cluster --help` 1.0 s with ts-node, about
// 0.15 s from the cache; a miss costs about what ts-node costs. Pulumi runs index.ts with its own
// ts-node (Pulumi.yaml `typescript: true`) and mocha with ts-node/register: neither uses this.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const PACKAGE_DIR = path.join(__dirname, "..");
const CACHE_DIR = path.join(PACKAGE_DIR, "node_modules", ".cache", "gitops-cluster");

// The options that change what transpileModule emits (tsconfig.json's, for one file at a time).
const COMPILER_OPTIONS = {
  target: "ES2022",
  module: "commonjs",
  esModuleInterop: true,
  resolveJsonModule: true,
  sourceMap: false,
  inlineSourceMap: false,
};

let typescript;
let salt;

/** What the cache key depends on besides the source: the compiler and its options. */
function cacheSalt() {
  if (salt === undefined) {
    const version = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "node_modules", "typescript", "package.json"), "utf8")).version;
    salt = `typescript ${version}\n${JSON.stringify(COMPILER_OPTIONS)}\n`;
  }
  return salt;
}

function transpile(source, filename) {
  typescript ??= require("typescript");
  const options = { ...COMPILER_OPTIONS };
  options.target = typescript.ScriptTarget.ES2022;
  options.module = typescript.ModuleKind.CommonJS;
  return typescript.transpileModule(source, { compilerOptions: options, fileName: filename, reportDiagnostics: false }).outputText;
}

/** Writes beside the target, then renames: a reader never sees half a file. */
function store(file, text) {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  } catch {
    // A read-only node_modules: run without a cache.
    try {
      fs.rmSync(temp, { force: true });
    } catch {}
  }
}

/** The JavaScript of a TypeScript source file, from the cache when its text has been compiled before. */
function compiled(filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto.createHash("sha256").update(cacheSalt()).update(filename).update("\0").update(source).digest("hex");
  const file = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    const js = transpile(source, filename);
    store(file, js);
    return js;
  }
}

function register() {
  require.extensions[".ts"] = function loadTypeScript(module, filename) {
    module._compile(compiled(filename), filename);
  };
}

/** Every .ts file the CLI may load, for --warm. */
function sources(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !["node_modules", ".git", "examples", "fixtures", "dist"].includes(entry.name)) sources(full, out);
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Compiles every source into the cache and drops entries no source has any more. */
function warm() {
  const keep = new Set();
  const files = [path.join(PACKAGE_DIR, "index.ts"), ...["cli", "gitops", "stacks", "components", "offline", "drift", "policy", "bench", "fuzz", "tools"].flatMap((d) =>
    fs.existsSync(path.join(PACKAGE_DIR, d)) ? sources(path.join(PACKAGE_DIR, d)) : [],
  )];
  for (const file of files) {
    compiled(file);
    const source = fs.readFileSync(file, "utf8");
    keep.add(`${crypto.createHash("sha256").update(cacheSalt()).update(file).update("\0").update(source).digest("hex")}.js`);
  }
  let dropped = 0;
  for (const name of fs.existsSync(CACHE_DIR) ? fs.readdirSync(CACHE_DIR) : []) {
    if (!keep.has(name)) {
      fs.rmSync(path.join(CACHE_DIR, name), { force: true });
      dropped++;
    }
  }
  process.stdout.write(`ts-cache: ${files.length} TypeScript files compiled into ${path.relative(PACKAGE_DIR, CACHE_DIR)} (${dropped} stale entries dropped)\n`);
  // Compiled ajv validators were kept here by earlier versions; the schema facts need none.
  fs.rmSync(path.join(PACKAGE_DIR, "node_modules", ".cache", "gitops-cluster-validators"), { recursive: true, force: true });
}

module.exports = { register, compiled, CACHE_DIR };

if (require.main === module) {
  if (process.argv[2] === "--warm") warm();
  else {
    process.stderr.write("usage: ts-cache.js --warm\n");
    process.exitCode = 2;
  }
}
