/**
 * Secrets (API keys, tokens) are registered once, when config is read, and masked in every
 * string that leaves the process: log lines, error texts, tool results and resources.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    // Very short values would mask ordinary words; real keys are longer than this.
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  /** Deep copy of a JSON value with secrets masked in every string. */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return JSON.parse(this.redact(JSON.stringify(value) ?? 'null')) as T;
  }
}
