import * as assert from "assert";
import { renderMermaid } from "../../gitops/report";
import { brokenResult, node, result } from "./sample";

/** Node id -> label, and edges in order, read back from the chart. */
function parse(chart: string) {
  const nodes = new Map<string, string>();
  const edges: Array<{ from: string; to: string; missing: boolean }> = [];
  for (const line of chart.split("\n").map((l) => l.trim())) {
    let m = /^(\S+)\["(.*)"\]$/.exec(line);
    if (m) nodes.set(m[1], m[2]);
    m = /^(\S+) (-->|-\. missing dependsOn \.->) (\S+)$/.exec(line);
    if (m) edges.push({ from: m[1], to: m[3], missing: m[2] !== "-->" });
  }
  const idOf = (name: string) => [...nodes].find(([, l]) => l.split("<br/>")[0] === name)?.[0];
  return { nodes, edges, idOf };
}

describe("renderMermaid", () => {
  it("draws each dependsOn as an arrow from the dependency to the Kustomization that waits", () => {
    const chart = renderMermaid(brokenResult());
    assert.ok(chart.startsWith("flowchart LR\n"));
    const { edges, idOf } = parse(chart);
    assert.ok(edges.some((e) => !e.missing && e.from === idOf("sources") && e.to === idOf("cert-manager-install")));
    assert.ok(edges.some((e) => !e.missing && e.from === idOf("kustomized-infra") && e.to === idOf("apps")));
  });

  it("draws the dependsOn a consumer-without-provider finding asks for as a dashed red edge", () => {
    const chart = renderMermaid(brokenResult());
    const { edges, idOf } = parse(chart);
    const missing = edges.filter((e) => e.missing);
    assert.deepStrictEqual(missing, [{ from: idOf("cert-manager-install"), to: idOf("kustomized-infra"), missing: true }]);
    const index = edges.findIndex((e) => e.missing);
    assert.match(chart, new RegExp(`linkStyle ${index} stroke:#c62828`));
  });

  it("draws no missing edge for a provider the consumer already waits for through another Kustomization", () => {
    const broken = brokenResult();
    broken.kustomizations.find((k) => k.name === "kustomized-infra")!.dependsOn.push("flux-system/cert-manager-install");
    assert.ok(!renderMermaid(broken).includes("missing dependsOn"));
  });

  it("styles providers and Kustomizations with errors, and shows a dependency that does not exist", () => {
    const chart = renderMermaid(brokenResult());
    const { nodes, idOf } = parse(chart);
    assert.match(chart, new RegExp(`class ${idOf("cert-manager-install")} provider`));
    assert.ok(nodes.get(idOf("cert-manager-install")!)!.includes("provides cert-manager.io"));
    const failing = /class (\S+) failing/.exec(chart)![1].split(",");
    assert.deepStrictEqual(failing.sort(), [idOf("apps"), idOf("kustomized-infra")].sort());
    const ghost = idOf("flux-system/ghost (does not exist)");
    assert.ok(ghost, "a node for the missing dependency");
    assert.match(chart, new RegExp(`class ${ghost} absent`));
  });

  it("gives every Kustomization a distinct id made only of letters, digits and underscores", () => {
    const tricky = result(
      [
        node({ name: "end", namespace: "team.a" }),
        node({ name: "end", namespace: "team-a", dependsOn: ["team.a/end"] }),
        node({ name: "say \"hi\"", namespace: "team-a" }),
      ],
      [],
    );
    const chart = renderMermaid(tricky);
    const { nodes, edges } = parse(chart);
    assert.strictEqual(nodes.size, 3);
    for (const id of nodes.keys()) assert.match(id, /^[A-Za-z0-9_]+$/);
    assert.strictEqual(edges.length, 1);
    assert.notStrictEqual(edges[0].from, edges[0].to);
    assert.ok(!/\["[^\]]*"[^\]]*"\]/.test(chart.replace(/#quot;/g, "")), "quotes inside a label are escaped");
    assert.ok([...nodes.values()].includes("team-a/say #quot;hi#quot;"), "namespaces shown when they differ");
  });
});
