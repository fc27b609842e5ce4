/**
 * Strict UTF-8 for files a command rewrites (inject --write, migrate --write): decoding with
 * replacement characters and writing back would change bytes the user never asked to change.
 */
import { GitopsInputError } from "../read/errors";

/**
 * A file's text, only when it is valid UTF-8 that encodes back to the same bytes: the rewrite
 * splices strings, and a file decoded with replacement characters would be written back changed.
 */
export function utf8Text(bytes: Buffer, file: string): string {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    if (Buffer.from(text, "utf8").equals(bytes)) return text;
  } catch {
    // located below
  }
  const valid = validUtf8Prefix(bytes);
  const line = bytes.subarray(0, valid).reduce((n, b) => (b === 10 ? n + 1 : n), 1);
  throw new GitopsInputError(
    `is not valid UTF-8 (byte 0x${(bytes[valid] ?? 0).toString(16).padStart(2, "0")} at offset ${valid}); it is left untouched: save it as UTF-8 first`,
    file,
    line,
  );
}

/** The length of the longest prefix of `bytes` that is well-formed UTF-8 (RFC 3629 §4). */
function validUtf8Prefix(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= bytes.length + (n === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    // Overlong three- and four-byte forms, surrogates and code points past U+10FFFF.
    const second = bytes[i + 1];
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += n + 1;
  }
  return i;
}

