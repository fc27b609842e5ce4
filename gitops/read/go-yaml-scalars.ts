/**
 * Plain scalars as kustomize reads them. kustomize (and so kustomize-controller) decodes every
 * resource with go-yaml v3 into Go values and writes JSON (kyaml), so a plain scalar becomes what
 * go-yaml v3's resolve() makes of it (go-yaml resolve.go, v3 branch), not what YAML 1.2's core
 * schema says:
 * - integers are read by Go's strconv.ParseInt with base 0 after dropping every `_`: `0775` is
 *   octal 509, `0b101` is 5, `+0x1F` is 31, `1_000` is 1000; one that fails is tried as a float
 *   (`08` is 8, `09.5` is 9.5), and a float that overflows (`1e400`) stays a string;
 * - `YYYY-M-D`, with an optional `T`/`t`/space time, is a timestamp, which JSON writes as an
 *   RFC 3339 string ("2024-01-01T00:00:00Z").
 * Everything else (booleans: only true/false; null; `.5`; `1:30`) the core schema already reads
 * the same. Checked against kubectl kustomize (test/gitops/go-yaml-scalars.test.ts).
 */
import type { ScalarTag } from "yaml";

/** Plain scalars the core schema reads differently from go-yaml v3 (a cheap first test). */
const CANDIDATE = /^(?:[-+]?0[0-9bBoOxX_]|[-+]?[0-9][0-9_]*_|[-+]?[0-9.]+[eE][-+]?[0-9]{3}|[0-9]{4}-)/;

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** strconv.ParseInt(s, 0, 64), then ParseUint: undefined where Go refuses. */
function goParseInt(s: string): number | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return undefined;
  const [, sign, digits] = m;
  const prefix = digits.slice(0, 2).toLowerCase();
  const [radix, body] =
    prefix === "0x" ? [16, digits.slice(2)] : prefix === "0o" ? [8, digits.slice(2)] : prefix === "0b" ? [2, digits.slice(2)]
      : digits.length > 1 && digits[0] === "0" ? [8, digits.slice(1)] : [10, digits];
  const magnitude = BigInt(radix === 10 ? body : `0${radix === 16 ? "x" : radix === 8 ? "o" : "b"}${body}`);
  const value = sign === "-" ? -magnitude : magnitude;
  // int64, or (unsigned, no sign) uint64.
  if (value < -(2n ** 63n) || value > 2n ** 64n - 1n || (value >= 2n ** 63n && sign !== "")) return undefined;
  return Number(value);
}

/** go-yaml's parseTimestamp: the date formats it tries, as Go's time.Parse reads them. */
function goTimestamp(s: string): string | undefined {
  const m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?(Z|[-+][0-9]{2}:[0-9]{2})?)?$/.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, sep, h, mi, sec, frac, zone] = m;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const pad = (n: string | number, w = 2) => String(n).padStart(w, "0");
  if (sep === undefined) return `${y}-${pad(month)}-${pad(day)}T00:00:00Z`;
  // "T"/"t" take a zone ("Z" or ±hh:mm), the space form none; Go refuses the other mixes.
  if ((sep === " ") !== (zone === undefined)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  if (zone !== undefined && zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return undefined;
  // RFC 3339 with nanoseconds, trailing zeros dropped, as time.Time's MarshalJSON writes it.
  const fraction = frac === undefined ? "" : frac.slice(0, 9).replace(/0+$/, "");
  const offset = zone === undefined || zone === "Z" || zone === "+00:00" ? "Z" : zone;
  return `${y}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(sec)}${fraction === "" ? "" : `.${fraction}`}${offset}`;
}

/** What go-yaml v3 makes of a plain scalar that CANDIDATE matched. */
export function goPlainScalar(text: string): string | number {
  const timestamp = goTimestamp(text);
  if (timestamp !== undefined) return timestamp;
  const plain = text.replace(/_/g, "");
  const int = goParseInt(plain);
  if (int !== undefined) return int;
  if (YAML_STYLE_FLOAT.test(plain)) {
    const float = Number(plain);
    if (Number.isFinite(float)) return float;
  }
  return text;
}

/** The tag to put first in `customTags` when parsing resources as kustomize reads them. */
export const goYamlScalars: ScalarTag = {
  tag: "tag:gitops-cluster,2026:go-yaml-plain",
  default: true,
  identify: () => false,
  test: CANDIDATE,
  resolve: (text: string) => goPlainScalar(text),
};

const isBlank = (c: string | undefined) => c === " " || c === "\t";
const isBreak = (c: string | undefined) => c === "\n" || c === "\r";

/**
 * Whether go-yaml v3 writes a value in the block style it was read in (emitterc.go
 * yaml_emitter_analyze_scalar, block_allowed): not empty, no space at the end or before a line
 * break, no character it does not print. Otherwise it writes it double-quoted, which reads back as is.
 */
function goWritesAsBlock(value: string): boolean {
  if (value === "" || value.endsWith(" ") || / [\r\n]/.test(value)) return false;
  // is_printable: tab, line breaks, and printable characters (no C0/C1 controls, DEL, BOM, surrogates).
  return !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff]/.test(value);
}

/**
 * The value of a folded (`>`) block scalar after go-yaml v3 has written it in folded style and read
 * it back, as kustomize does once with every resource (kyaml keeps the style of the node it read).
 * go-yaml's folded writer (emitterc.go yaml_emitter_write_folded_scalar, v3 branch) decides whether
 * a line break needs a second one by looking at the start of the whole value (`k := 0`) instead of
 * the line after the break, so a line followed by a more-indented line gets an extra break that the
 * reader keeps: `>\n  a\n    b\n  c` is read "a\n  b\nc\n" and comes out "a\n\n  b\nc\n". Lines
 * longer than the writer's width are folded at a space, which reads back as the space: left out.
 */
export function goFoldedRoundTrip(value: string): string {
  if (!value.includes("\n") || !goWritesAsBlock(value)) return value;
  // The writer: each content line indented by two spaces, empty lines empty.
  let written = "";
  let breaks = true;
  let leadingSpaces = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (isBreak(c)) {
      if (!breaks && !leadingSpaces && c === "\n") {
        let k = 0;
        while (isBreak(value[k])) k++;
        if (!(isBlank(value[k]) || isBreak(value[k]) || k >= value.length)) written += "\n";
      }
      written += "\n";
      breaks = true;
    } else {
      if (breaks) {
        written += "  ";
        leadingSpaces = isBlank(c);
      }
      written += c;
      breaks = false;
    }
  }
  // The chomping indicator the writer picks (yaml_emitter_write_block_scalar_hints).
  const last = value.length - 1;
  const chomp = !isBreak(value[last]) ? "strip" : last === 0 || isBreak(value[last - 1]) ? "keep" : "clip";
  // The reader (scannerc.go yaml_parser_scan_block_scalar), folding.
  const lines = (written.endsWith("\n") ? written : `${written}\n`).split("\n").slice(0, -1);
  let out = "";
  let leadingBreak = "";
  let trailingBreaks = "";
  let leadingBlank = false;
  for (const line of lines) {
    if (line.length <= 2 && line.trim() === "") {
      trailingBreaks += "\n";
      continue;
    }
    const content = line.slice(2);
    const trailingBlank = isBlank(content[0]);
    if (!leadingBlank && !trailingBlank && leadingBreak === "\n") {
      if (trailingBreaks === "") out += " ";
    } else {
      out += leadingBreak;
    }
    out += trailingBreaks;
    trailingBreaks = "";
    leadingBlank = isBlank(content[0]);
    out += content;
    leadingBreak = "\n";
  }
  if (chomp !== "strip") out += leadingBreak;
  if (chomp === "keep") out += trailingBreaks;
  return out;
}
