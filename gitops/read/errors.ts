/**
 * Input the verifier cannot read: a path escaping the repository, a symlink leaving it, a YAML
 * parse error, a missing cluster directory. The CLI prints the message (no stack) and exits 2.
 */
export class GitopsInputError extends Error {
  file?: string;
  line?: number;

  constructor(message: string, file?: string, line?: number) {
    const where = file === undefined ? "" : line === undefined ? `${file}: ` : `${file}:${line}: `;
    super(`${where}${message}`);
    this.name = "GitopsInputError";
    this.file = file;
    this.line = line;
  }
}
