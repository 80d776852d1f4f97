import type { Clock } from '../../core/clock.js';
import { ProviderError } from '../../http/errors.js';
import type { DoctorCheck, RunStatus } from '../types.js';
import type { LooplyClient } from './client.js';
import { classify, hasOutput, isoFrom, toRun } from './map.js';
import { structureOfDetails, type Structure } from './structure.js';

/** doctor: a run with an output whose state has not changed for this long looks finished. */
const STALE_MS = 60 * 60_000;

interface CheckDeps {
  client: LooplyClient;
  clock: Clock;
  stateMap: Record<string, RunStatus> | undefined;
  /** The provider's (cached) structure of a workflow version, for the last-state rule. */
  structure(id: string, version: number, signal: AbortSignal): Promise<Structure | null>;
}

/** `doctor`'s Looply checks: the key is accepted, and no recent run looks finished without being recognised. */
export async function looplyChecks(d: CheckDeps): Promise<DoctorCheck[]> {
  try {
    const page = await d.client.listWorkflows();
    return [{ name: 'looply', ok: true, message: `API key accepted; ${page.items.length}${page.lastKey ? '+' : ''} workflow versions visible` }, await checkUnmapped(d)];
  } catch (err) {
    const refused = err instanceof ProviderError && (err.status === 403 || err.status === 401);
    return [{ name: 'looply', ok: false, message: refused ? 'the Looply API key was refused (403); check LOOPLY_API_KEY' : `Looply is not reachable: ${(err as Error).message}` }];
  }
}

/**
 * Recent executions that look finished — an output, and no state change for an hour — but
 * that no rule calls finished: their state wants a `stateMap` entry.
 */
async function checkUnmapped(d: CheckDeps): Promise<DoctorCheck> {
  const name = 'looply runs';
  try {
    const stale = d.clock.now() - STALE_MS;
    const rows = (await d.client.organizationExecutions()).items.filter((e) => toRun(e, d.stateMap).status === 'running' && Date.parse(isoFrom(e.modified_on) ?? '') < stale);
    const found: string[] = [];
    for (const row of rows.slice(0, 5)) {
      const { item } = await d.client.getExecution(row.workflow_id, row.workflow_execution_id);
      const structure = hasOutput(item) && !structureOfDetails(item.workflow_details) && item.workflow_version !== undefined ? await d.structure(item.workflow_id, item.workflow_version, AbortSignal.timeout(30_000)) : null;
      if (hasOutput(item) && classify(item, d.stateMap, structure).status === 'running') found.push(`${item.workflow_execution_id} (state "${item.workflow_current_state ?? ''}")`);
    }
    if (!found.length) return { name, ok: true, message: 'no recent run looks finished without being recognised as finished' };
    return { name, ok: false, message: `${found.length} recent run(s) have an output and no state change for over an hour, but their state is not known to be the last: ${found.join(', ')}; if they are over, map those states in providers.looply.stateMap (e.g. {"send_card_state": "completed"})` };
  } catch (err) {
    return { name, ok: false, message: `could not read recent executions: ${(err as Error).message}` };
  }
}
