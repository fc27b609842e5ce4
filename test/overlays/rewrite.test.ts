import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { applyPatch } from "diff";
import { GitopsInputError } from "../../gitops/read/errors";
import {
  OverlayOptions,
  applyOverlayPlan,
  checkOverlays,
  planDifferences,
  planOverlayRewrite,
  renderUnifiedDiff,
  roleRefFromArn,
} from "../../gitops/edit/overlays";
import { DEV_OVERLAY, DEV_ROLE, OLD_ROLE_NAME, copyFixture, makeTemp, readFile, readTree, removeTemps } from "./helpers";

const GPU_ROLE = roleRefFromArn("arn:aws:iam::123456789012:role/development-gpu-node-role");

/** Golden cases: fixtures/overlays/<name>/input, rewritten with `options`, must equal .../expected. */
const goldenCases: { name: string; about: string; options: OverlayOptions }[] = [
  { name: "annotations", about: "ARN and name forms in annotations, comments, three quoting styles, flow maps, several documents, a .yml file", options: { role: DEV_ROLE } },
  { name: "placement", about: "labels (block and flow), a top-level field, an ARN in a label, an empty value", options: { role: DEV_ROLE } },
  { name: "anchors", about: "a value that carries an anchor, and a value that is an alias", options: { role: DEV_ROLE } },
  { name: "placeholders", about: "${NODE_ROLE_...} placeholders left alone in literal mode", options: { role: DEV_ROLE } },
  { name: "migrate", about: "placeholder mode: literals become placeholders of the same form", options: { mode: "placeholder" } },
  {
    name: "namespace-roles",
    about: "a namespace mapped to another node group's role, the ARN form forced",
    options: { role: DEV_ROLE, valueForm: "arn", namespaceRoles: { "gpu-jobs": GPU_ROLE } },
  },
];

describe("overlay rewrite", () => {
  afterEach(removeTemps);

  describe("golden files", () => {
    for (const c of goldenCases) {
      it(`${c.name}: ${c.about}`, () => {
        const repo = copyFixture(`${c.name}/input`);
        const plan = planOverlayRewrite(repo, DEV_OVERLAY, c.options);
        assert.ok(plan.files.length > 0, "the fixture needs changes");
        applyOverlayPlan(repo, plan);
        // The whole tree, so a file outside the overlay that changed would show up too.
        assert.deepStrictEqual(readTree(repo), readTree(path.join(copyFixture(c.name), "expected")));
      });

      it(`${c.name}: only the lines of the reported edits change, and a second run changes nothing`, () => {
        const repo = copyFixture(`${c.name}/input`);
        const plan = planOverlayRewrite(repo, DEV_OVERLAY, c.options);
        for (const change of plan.files) {
          const before = change.before.split("\n");
          const after = change.after.split("\n");
          assert.strictEqual(after.length, before.length, change.file);
          const changedLines = before.flatMap((line, i) => (line === after[i] ? [] : [i + 1]));
          assert.deepStrictEqual(changedLines, [...new Set(change.edits.map((e) => e.line))].sort((a, b) => a - b), change.file);
          for (const edit of change.edits) {
            assert.ok(after[edit.line - 1].includes(edit.to), `${change.file}:${edit.line} should hold ${edit.to}`);
          }
        }
        applyOverlayPlan(repo, plan);
        assert.deepStrictEqual(planOverlayRewrite(repo, DEV_OVERLAY, c.options).files, []);
      });
    }
  });

  it("reports each edit with namespace, line, old and new value", () => {
    const repo = copyFixture("annotations/input");
    const plan = planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE });
    const edits = plan.files.flatMap((f) => f.edits.map((e) => ({ file: f.file, ...e })));
    assert.deepStrictEqual(edits, [
      {
        file: `${DEV_OVERLAY}/namespaces.yaml`,
        namespace: "apps",
        line: 10,
        from: `arn:aws:iam::123456789012:role/${OLD_ROLE_NAME}`,
        to: DEV_ROLE.arn,
      },
      { file: `${DEV_OVERLAY}/namespaces.yaml`, namespace: "payments", line: 17, from: "arn:aws:iam::123456789012:role/old-payments", to: DEV_ROLE.arn },
      {
        file: `${DEV_OVERLAY}/observability/namespaces.yml`,
        namespace: "monitoring",
        line: 6,
        from: `arn:aws:iam::123456789012:role/${OLD_ROLE_NAME}`,
        to: DEV_ROLE.arn,
      },
      { file: `${DEV_OVERLAY}/observability/namespaces.yml`, namespace: "logging", line: 16, from: OLD_ROLE_NAME, to: "development-node-role" },
    ]);
  });

  it("reports a Namespace manifest without the key instead of skipping it", () => {
    const plan = planOverlayRewrite(copyFixture("annotations/input"), DEV_OVERLAY, { role: DEV_ROLE });
    assert.deepStrictEqual(plan.missingKey, [{ file: `${DEV_OVERLAY}/namespaces.yaml`, line: 19, namespace: "scratch" }]);
  });

  it("reports placeholders it leaves for Flux to substitute", () => {
    const plan = planOverlayRewrite(copyFixture("placeholders/input"), DEV_OVERLAY, { role: DEV_ROLE });
    assert.deepStrictEqual(plan.placeholders, [
      { file: `${DEV_OVERLAY}/namespaces.yaml`, line: 7, namespace: "apps", variable: "NODE_ROLE_ARN" },
      { file: `${DEV_OVERLAY}/namespaces.yaml`, line: 14, namespace: "web", variable: "NODE_ROLE_NAME" },
    ]);
    assert.deepStrictEqual(
      plan.files.flatMap((f) => f.edits.map((e) => e.namespace)),
      ["legacy"],
    );
  });

  it("replaces a placeholder in a namespace mapped to another role (cluster-vars would give it the default one)", () => {
    const repo = copyFixture("placeholders/input");
    const edits = (options: OverlayOptions) => planDifferences(planOverlayRewrite(repo, DEV_OVERLAY, options));
    const file = `${DEV_OVERLAY}/namespaces.yaml`;
    const gpuApps = { file, line: 7, namespace: "apps", have: "${NODE_ROLE_ARN}", want: GPU_ROLE.arn };
    const gpuWeb = { file, line: 14, namespace: "web", have: "${NODE_ROLE_NAME}", want: GPU_ROLE.name };
    const namespaceRoles = { apps: GPU_ROLE, web: GPU_ROLE, legacy: GPU_ROLE };
    const legacy = { file, line: 21, namespace: "legacy", have: "arn:aws:iam::123456789012:role/legacy-node-role", want: GPU_ROLE.arn };
    assert.deepStrictEqual(edits({ role: DEV_ROLE, namespaceRoles }), [gpuApps, gpuWeb, legacy]);
    assert.deepStrictEqual(edits({ mode: "placeholder", namespaceRoles }), [gpuApps, gpuWeb, legacy]);
    // Mapped to the default role itself: as if unmapped, so placeholders stay and literals become them.
    const toDefault = { apps: DEV_ROLE, web: DEV_ROLE, legacy: DEV_ROLE };
    assert.deepStrictEqual(edits({ mode: "placeholder", role: DEV_ROLE, namespaceRoles: toDefault }), [{ ...legacy, want: "${NODE_ROLE_ARN}" }]);
  });

  it("a key with a custom name is found and the default one is then ignored", () => {
    const repo = makeTemp();
    const dir = path.join(repo, "overlays/dev");
    fs.mkdirSync(dir, { recursive: true });
    const text = [
      "kind: Namespace",
      "metadata:",
      "  name: apps",
      "  annotations:",
      "    iam_role: untouched",
      "    eks.example.com/node-role-arn: arn:aws:iam::123456789012:role/old",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "ns.yaml"), text);
    const plan = planOverlayRewrite(repo, "overlays/dev", { role: DEV_ROLE, key: "eks.example.com/node-role-arn" });
    assert.strictEqual(plan.files[0].after, text.replace("role/old", "role/eks/development-node-role"));
  });

  it("finds Namespaces inside a List, as kustomize expands them", () => {
    const repo = makeTemp();
    fs.mkdirSync(path.join(repo, "ov"));
    const text = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: v1",
      "    kind: Namespace",
      "    metadata:",
      "      name: one",
      "      annotations: {iam_role: old-role}",
      "  - apiVersion: v1",
      "    kind: Namespace",
      "    metadata:",
      "      name: two",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(repo, "ov/list.yaml"), text);
    const plan = planOverlayRewrite(repo, "ov", { role: DEV_ROLE });
    assert.strictEqual(plan.files[0].after, text.replace("old-role", "development-node-role"));
    assert.deepStrictEqual(plan.missingKey, [{ file: "ov/list.yaml", line: 9, namespace: "two" }]);
  });

  it("keeps CRLF line endings", () => {
    const repo = makeTemp();
    fs.mkdirSync(path.join(repo, "ov"));
    const text = "kind: Namespace\r\nmetadata:\r\n  name: apps\r\n  annotations:\r\n    iam_role: old-role # keep\r\n";
    fs.writeFileSync(path.join(repo, "ov/ns.yaml"), text);
    const [change] = planOverlayRewrite(repo, "ov", { role: DEV_ROLE }).files;
    assert.strictEqual(change.after, text.replace("old-role", "development-node-role"));
  });

  it("quotes a plain value that would otherwise read as a number", () => {
    const repo = makeTemp();
    fs.mkdirSync(path.join(repo, "ov"));
    fs.writeFileSync(path.join(repo, "ov/ns.yaml"), "kind: Namespace\nmetadata:\n  name: apps\n  labels:\n    iam_role: old-role\n");
    const numericRole = roleRefFromArn("arn:aws:iam::123456789012:role/20240101");
    const [change] = planOverlayRewrite(repo, "ov", { role: numericRole }).files;
    assert.strictEqual(change.after, "kind: Namespace\nmetadata:\n  name: apps\n  labels:\n    iam_role: \"20240101\"\n");
  });

  it("visits a file reached twice through a symlink once, and survives a directory loop", () => {
    const repo = copyFixture("annotations/input");
    const overlay = path.join(repo, DEV_OVERLAY);
    fs.symlinkSync(path.join(overlay, "namespaces.yaml"), path.join(overlay, "same-namespaces.yaml"));
    fs.symlinkSync(overlay, path.join(overlay, "observability", "loop"));
    const plan = planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE });
    assert.deepStrictEqual(
      plan.files.map((f) => f.file),
      [`${DEV_OVERLAY}/namespaces.yaml`, `${DEV_OVERLAY}/observability/namespaces.yml`],
    );
  });

  describe("checkOverlays", () => {
    it("lists every value that differs, and nothing once the overlays are rewritten", () => {
      const repo = copyFixture("annotations/input");
      const differences = checkOverlays(repo, DEV_OVERLAY, { role: DEV_ROLE });
      assert.deepStrictEqual(
        differences.map((d) => `${d.file}:${d.line} ${d.namespace}: ${d.have} -> ${d.want}`),
        [
          `${DEV_OVERLAY}/namespaces.yaml:10 apps: arn:aws:iam::123456789012:role/${OLD_ROLE_NAME} -> ${DEV_ROLE.arn}`,
          `${DEV_OVERLAY}/namespaces.yaml:17 payments: arn:aws:iam::123456789012:role/old-payments -> ${DEV_ROLE.arn}`,
          `${DEV_OVERLAY}/observability/namespaces.yml:6 monitoring: arn:aws:iam::123456789012:role/${OLD_ROLE_NAME} -> ${DEV_ROLE.arn}`,
          `${DEV_OVERLAY}/observability/namespaces.yml:16 logging: ${OLD_ROLE_NAME} -> development-node-role`,
        ],
      );
      applyOverlayPlan(repo, planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE }));
      assert.deepStrictEqual(checkOverlays(repo, DEV_OVERLAY, { role: DEV_ROLE }), []);
    });

    it("in placeholder mode, a literal where a placeholder belongs is a difference", () => {
      const repo = copyFixture("placeholders/input");
      assert.deepStrictEqual(checkOverlays(repo, DEV_OVERLAY, { role: DEV_ROLE }).length, 1, "literal mode: only legacy differs");
      const differences = checkOverlays(repo, DEV_OVERLAY, { mode: "placeholder" });
      assert.deepStrictEqual(differences, [
        {
          file: `${DEV_OVERLAY}/namespaces.yaml`,
          line: 21,
          namespace: "legacy",
          have: "arn:aws:iam::123456789012:role/legacy-node-role",
          want: "${NODE_ROLE_ARN}",
        },
      ]);
    });
  });

  describe("renderUnifiedDiff", () => {
    it("prints a/ and b/ headers and a patch that turns each file's before into its after", () => {
      const plan = planOverlayRewrite(copyFixture("annotations/input"), DEV_OVERLAY, { role: DEV_ROLE });
      const diff = renderUnifiedDiff(plan);
      for (const change of plan.files) {
        assert.ok(diff.includes(`--- a/${change.file}\n+++ b/${change.file}\n`), change.file);
      }
      assert.ok(diff.includes(`-    iam_role: eksctl-dev-eks-core-nodegroup-ng-NodeInstanceRole-1IXH5OLFJVNQO # name form\n+    iam_role: development-node-role # name form\n`));
      const patches = diff.split(/^(?====)/m).filter(Boolean);
      assert.strictEqual(patches.length, plan.files.length);
      plan.files.forEach((change, i) => assert.strictEqual(applyPatch(change.before, patches[i]), change.after));
    });

    it("is empty when nothing changes", () => {
      assert.strictEqual(renderUnifiedDiff({ files: [], missingKey: [], placeholders: [] }), "");
    });
  });

  describe("refuses bad input with file:line and changes nothing", () => {
    it("an overlay directory that leaves the repository", () => {
      const repo = copyFixture("annotations/input");
      assert.throws(() => planOverlayRewrite(path.join(repo, "infrastructure"), "../x", { role: DEV_ROLE }), (err: Error) => {
        assert.ok(err instanceof GitopsInputError);
        assert.match(err.message, /\.\.\/x leaves the repository root/);
        return true;
      });
    });

    it("a symlink in the overlay that points at another environment's overlay", () => {
      const repo = copyFixture("annotations/input");
      const production = path.join(repo, "infrastructure/kustomized/overlays/production/namespaces.yaml");
      const productionBefore = fs.readFileSync(production, "utf8");
      fs.symlinkSync(production, path.join(repo, DEV_OVERLAY, "prod-link.yaml"));
      assert.throws(
        () => planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE }),
        /prod-link\.yaml is a symlink that resolves outside the overlay directory/,
      );
      assert.strictEqual(fs.readFileSync(production, "utf8"), productionBefore);
    });

    it("invalid YAML names the file and line", () => {
      const repo = copyFixture("bad-yaml");
      assert.throws(() => planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE }), (err: Error) => {
        assert.ok(err instanceof GitopsInputError);
        assert.strictEqual(err.file, `${DEV_OVERLAY}/b-broken.yaml`);
        assert.strictEqual(err.line, 7);
        assert.match(err.message, /^infrastructure\/kustomized\/overlays\/development\/b-broken\.yaml:7: YAML parse error: Map keys must be unique/);
        return true;
      });
    });

    it("a value that is a mapping, not a string", () => {
      const repo = makeTemp();
      fs.mkdirSync(path.join(repo, "ov"));
      fs.writeFileSync(path.join(repo, "ov/ns.yaml"), "kind: Namespace\nmetadata:\n  name: apps\niam_role:\n  arn: x\n");
      assert.throws(() => planOverlayRewrite(repo, "ov", { role: DEV_ROLE }), /ov\/ns\.yaml:4: iam_role of namespace apps must be a string/);
    });

    it("a role name that cannot be a label value", () => {
      const repo = copyFixture("placement/input");
      const longName = `r${"x".repeat(63)}`; // 64 characters: a valid IAM role name, one too many for a label
      assert.throws(
        () => planOverlayRewrite(repo, DEV_OVERLAY, { role: roleRefFromArn(`arn:aws:iam::123456789012:role/${longName}`) }),
        new RegExp(`namespaces\\.yaml:7: label iam_role of namespace web cannot hold role name "${longName}"`),
      );
    });

    it("an anchor shared by a label and an annotation, which need different forms", () => {
      const repo = makeTemp();
      fs.mkdirSync(path.join(repo, "ov"));
      const text = "kind: Namespace\nmetadata:\n  name: apps\n  annotations:\n    iam_role: &r old-role\n  labels:\n    iam_role: *r\n";
      fs.writeFileSync(path.join(repo, "ov/ns.yaml"), text);
      assert.throws(
        () => planOverlayRewrite(repo, "ov", { role: DEV_ROLE, valueForm: "arn" }),
        /ov\/ns\.yaml:5: namespace apps: iam_role values that share this anchor need different values/,
      );
      assert.strictEqual(fs.readFileSync(path.join(repo, "ov/ns.yaml"), "utf8"), text);
    });

    it("an anchor that already holds the ARN, aliased by a label that needs the name", () => {
      const repo = makeTemp();
      fs.mkdirSync(path.join(repo, "ov"));
      const text = `kind: Namespace\nmetadata:\n  name: apps\n  annotations:\n    iam_role: &r ${DEV_ROLE.arn}\n  labels:\n    iam_role: *r\n`;
      fs.writeFileSync(path.join(repo, "ov/ns.yaml"), text);
      assert.throws(() => planOverlayRewrite(repo, "ov", { role: DEV_ROLE }), /ov\/ns\.yaml:5: namespace apps: iam_role values that share this anchor/);
    });

    it("a plan whose file changed on disk since it was made writes no file at all", () => {
      const repo = copyFixture("annotations/input");
      const plan = planOverlayRewrite(repo, DEV_OVERLAY, { role: DEV_ROLE });
      assert.strictEqual(plan.files.length, 2);
      const second = path.join(repo, plan.files[1].file);
      fs.appendFileSync(second, "# edited by someone else\n");
      const treeBefore = readTree(repo);
      assert.throws(() => applyOverlayPlan(repo, plan), /observability\/namespaces\.yml: changed since the plan was made/);
      assert.deepStrictEqual(readTree(repo), treeBefore);
      assert.strictEqual(readFile(repo, plan.files[0].file), plan.files[0].before);
    });
  });

  describe("roleRefFromArn", () => {
    it("takes the name from the last segment of a role with a path", () => {
      assert.deepStrictEqual(roleRefFromArn("arn:aws:iam::123456789012:role/eks/nodes/dev-node-role"), {
        arn: "arn:aws:iam::123456789012:role/eks/nodes/dev-node-role",
        name: "dev-node-role",
      });
    });

    it("accepts other partitions", () => {
      assert.strictEqual(roleRefFromArn("arn:aws-us-gov:iam::123456789012:role/gov-nodes").name, "gov-nodes");
      assert.strictEqual(roleRefFromArn("arn:aws-cn:iam::123456789012:role/cn+nodes=1").name, "cn+nodes=1");
    });

    for (const bad of [
      "arn:aws:iam::123456789012:instance-profile/dev-node-role",
      "arn:aws:iam::1234:role/dev-node-role",
      "arn:aws:sts::123456789012:assumed-role/dev-node-role/session",
      "dev-node-role",
      "arn:aws:iam::123456789012:role/",
    ]) {
      it(`refuses ${bad}`, () => {
        assert.throws(() => roleRefFromArn(bad), /is not an IAM role ARN; expected arn:<partition>:iam::<12-digit account>:role\//);
      });
    }
  });
});
