import type { Database } from '../state/database.js';

/**
 * A named token bucket every replica draws from: `take` gives a token now (0) or says how long
 * until one is there; with `reserve`, only a token beyond the reserve (a background request).
 */
export interface SharedBuckets {
  take(name: string, perSecond: number, burst: number, reserve?: number): Promise<number>;
}

/** How long tokens taken ahead stay usable here: longer would let a replica save up a burst. */
const LEASE_MS = 200;

/**
 * Platform request budgets held across replicas: one row per bucket in PostgreSQL, refilled by
 * the database's clock (replica clocks may differ), drawn in one locking statement. A replica
 * takes a few tokens at a time only where the rate is high enough to need it, and lets unused
 * ones lapse within LEASE_MS, so all replicas together never send faster than the bucket allows.
 * The clock is read before the row lock is waited for, so a caller that waited can hold a time
 * older than the row's: the refill time never moves back (else the same seconds refill twice).
 */
export class PgBuckets implements SharedBuckets {
  private readonly stock = new Map<string, { n: number; until: number }>();
  private readonly known = new Set<string>();

  constructor(private readonly db: Database) {}

  async take(name: string, perSecond: number, burst: number, reserve = 0): Promise<number> {
    const local = this.stock.get(name);
    // Tokens taken ahead are spent by anyone: they were granted beyond the reserve or by a foreground turn.
    if (local && local.n > 0 && Date.now() < local.until) {
      local.n--;
      return 0;
    }
    if (!this.known.has(name)) {
      await this.db.pool.query('INSERT INTO rate_buckets (name, tokens, refilled_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (name) DO NOTHING', [name, burst]);
      this.known.add(name);
    }
    const lease = Math.max(1, Math.floor((perSecond * LEASE_MS) / 1000));
    const { rows } = await this.db.pool.query<{ granted: number; avail: number }>(
      `WITH cur AS (
         SELECT least($2::float8, tokens + greatest(0, extract(epoch FROM t - refilled_at)) * $3::float8) AS avail,
           greatest(t, refilled_at) AS t
         FROM rate_buckets, clock_timestamp() AS t WHERE name = $1 FOR UPDATE OF rate_buckets),
       g AS (SELECT avail, t, greatest(0, least(floor(avail - $5::float8), $4::float8)) AS n FROM cur)
       UPDATE rate_buckets b SET tokens = g.avail - g.n, refilled_at = g.t FROM g WHERE b.name = $1
       RETURNING g.n AS granted, g.avail AS avail`,
      [name, burst, perSecond, lease, reserve],
    );
    const { granted, avail } = rows[0] ?? { granted: 0, avail: 0 };
    if (granted >= 1) {
      this.stock.set(name, { n: granted - 1, until: Date.now() + LEASE_MS });
      return 0;
    }
    return Math.max(1, Math.ceil(((1 + reserve - avail) / perSecond) * 1000));
  }
}
