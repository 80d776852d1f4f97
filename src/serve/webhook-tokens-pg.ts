import { newToken, TOKEN_TTL_MS, type WebhookTokens } from '../providers/webhook-tokens.js';
import type { Database } from '../state/database.js';

const SWEEP_EVERY = 100;

/**
 * Webhook tokens in PostgreSQL: a webhook that reaches any replica finds its run (the token is
 * taken once, by one DELETE), and the tracker's wake reaches the replica that owns the run.
 */
export class PgWebhookTokens implements WebhookTokens {
  private issued = 0;

  constructor(private readonly db: Database) {}

  async issue(provider: string): Promise<string> {
    if (++this.issued % SWEEP_EVERY === 0) await this.db.pool.query(`DELETE FROM webhook_tokens WHERE created_at < now() - $1 * interval '1 millisecond'`, [TOKEN_TTL_MS]);
    const token = newToken();
    await this.db.pool.query('INSERT INTO webhook_tokens (token, provider, created_at) VALUES ($1, $2, now())', [token, provider]);
    return token;
  }

  async bind(token: string, runId: string): Promise<void> {
    await this.db.pool.query('UPDATE webhook_tokens SET run_id = $2 WHERE token = $1', [token, runId]);
  }

  async drop(token: string): Promise<void> {
    await this.db.pool.query('DELETE FROM webhook_tokens WHERE token = $1', [token]);
  }

  async take(provider: string, token: string): Promise<string | null> {
    const { rows } = await this.db.pool.query<{ run_id: string }>(
      `DELETE FROM webhook_tokens WHERE token = $1 AND provider = $2 AND run_id IS NOT NULL AND created_at >= now() - $3 * interval '1 millisecond' RETURNING run_id`,
      [token, provider, TOKEN_TTL_MS],
    );
    return rows[0]?.run_id ?? null;
  }
}
