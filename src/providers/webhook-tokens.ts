import { randomBytes } from 'node:crypto';

/**
 * Single-use webhook tokens, one per run, wherever they are kept: in this process, or shared by
 * replicas so a webhook that reaches any replica finds its run. A token is issued before the
 * start (the platform must be told its URL), bound to the run id once the start answers, and
 * taken — at most once — by the webhook.
 */
export interface WebhookTokens {
  issue(provider: string): Promise<string>;
  bind(token: string, runId: string): Promise<void>;
  /** The start failed: the token names nothing. */
  drop(token: string): Promise<void>;
  /** The run a webhook names, once; null for unknown, used, unbound or expired tokens. */
  take(provider: string, token: string): Promise<string | null>;
}

/** How long a token waits for its webhook. */
export const TOKEN_TTL_MS = 7 * 86_400_000;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The embedded store: this process's memory (a webhook to another process is not recognised). */
export class MemoryWebhookTokens implements WebhookTokens {
  private readonly tokens = new Map<string, { provider: string; runId: string | null; at: number }>();

  async issue(provider: string): Promise<string> {
    const token = newToken();
    this.tokens.set(token, { provider, runId: null, at: Date.now() });
    return token;
  }

  async bind(token: string, runId: string): Promise<void> {
    const t = this.tokens.get(token);
    if (t) this.tokens.set(token, { ...t, runId, at: Date.now() });
  }

  async drop(token: string): Promise<void> {
    this.tokens.delete(token);
  }

  async take(provider: string, token: string): Promise<string | null> {
    const now = Date.now();
    for (const [t, v] of this.tokens) if (now - v.at > TOKEN_TTL_MS) this.tokens.delete(t);
    const hit = this.tokens.get(token);
    if (!hit?.runId || hit.provider !== provider) return null;
    this.tokens.delete(token);
    return hit.runId;
  }
}
