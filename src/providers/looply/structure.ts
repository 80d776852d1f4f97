import { z } from 'zod';
import { isPlainObject, type JsonObject } from '../../core/json.js';

/**
 * A workflow's states and connections, as far as they can be read. Looply documents that
 * `workflow_details` of an execution holds "connections and steps" and that `getWorkflowById`
 * has `workflow_steps[]` and `workflow_connections[]`, but not their elements' shapes; so the
 * common spellings are read (README "Looply") and anything else leaves the structure unknown.
 */
/** A structure as the schema cache shares it between replicas (sets as lists); `stable`: an ACTIVE version's, which never changes. */
export const SharedStructure = z.object({ stable: z.boolean(), names: z.array(z.string()).nullable(), last: z.array(z.string()) });
export type SharedStructure = z.infer<typeof SharedStructure>;

export interface Structure {
  /** Every name or id a state is known by. */
  names: Set<string>;
  /** Names and ids of states with no outgoing connection (no edge from them, no `next`). */
  last: Set<string>;
}

/** What the structure says about the state an execution is in. */
export type LastStateEvidence = 'last' | 'not-last' | 'not-in-structure' | 'no-structure';

const NAME_KEYS = ['name', 'state_name', 'stateName', 'state', 'id', 'key', 'step_id', 'stepId', 'label', 'title'];
const FROM_KEYS = ['from', 'source', 'sourceId', 'source_id', 'source_state', 'from_state', 'start'];
const TO_KEYS = ['to', 'target', 'targetId', 'target_id', 'target_state', 'to_state', 'end'];
const NEXT_KEYS = ['next', 'next_state', 'nextState', 'next_states', 'transitions', 'destinations'];
const MAX_ITEMS = 5000;

/** Steps and connections from an execution's `workflow_details`, or null when it holds neither. */
export function structureOfDetails(details: unknown): Structure | null {
  if (!isPlainObject(details)) return null;
  const steps = details['workflow_steps'] ?? details['steps'] ?? details['states'];
  const connections = details['workflow_connections'] ?? details['connections'] ?? details['edges'] ?? details['transitions'];
  return structureOf(steps, connections);
}

/** Steps and connections as `getWorkflowById` gives them; null when the steps cannot be read. */
export function structureOf(steps: unknown, connections: unknown): Structure | null {
  const list = asList(steps);
  if (!list.length) return null;
  const names = new Set<string>();
  const stepNames: string[][] = [];
  const withNext = new Set<number>();
  list.forEach((step, i) => {
    const own = NAME_KEYS.map((k) => step[k]).filter((v): v is string | number => (typeof v === 'string' && v !== '') || typeof v === 'number').map(String);
    stepNames.push(own);
    for (const n of own) names.add(n);
    if (NEXT_KEYS.some((k) => hasTargets(step[k]))) withNext.add(i);
  });
  if (!names.size) return null;
  const sources = new Set<string>();
  for (const c of asList(connections)) {
    const from = FROM_KEYS.map((k) => c[k]).find((v) => typeof v === 'string' || typeof v === 'number');
    const to = TO_KEYS.map((k) => c[k]).find((v) => typeof v === 'string' || typeof v === 'number');
    if (from !== undefined && to !== undefined) sources.add(String(from));
  }
  // A connection map keyed by source state: { "a": ["b"], … }.
  if (isPlainObject(connections)) for (const [from, to] of Object.entries(connections)) if (hasTargets(to)) sources.add(from);
  const last = new Set<string>();
  stepNames.forEach((own, i) => {
    if (!withNext.has(i) && !own.some((n) => sources.has(n))) for (const n of own) last.add(n);
  });
  return { names, last };
}

export function lastStateEvidence(state: string | null | undefined, s: Structure | null): LastStateEvidence {
  if (!s) return 'no-structure';
  if (!state || !s.names.has(state)) return 'not-in-structure';
  return s.last.has(state) ? 'last' : 'not-last';
}

function asList(v: unknown): JsonObject[] {
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).filter(isPlainObject);
  // A map keyed by state name: { "start_state": { … }, … } — the key is one of its names.
  if (isPlainObject(v)) return Object.entries(v).slice(0, MAX_ITEMS).filter(([, x]) => isPlainObject(x)).map(([k, x]) => ({ key: k, ...(x as JsonObject) }));
  return [];
}

function hasTargets(v: unknown): boolean {
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  return isPlainObject(v) && Object.keys(v).length > 0;
}
