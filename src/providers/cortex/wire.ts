import { z } from 'zod';

/** A date as ISO text: Cortex documents strings; epoch milliseconds are taken too. */
const when = z.union([z.string(), z.number()]).nullish().transform((v) => (typeof v === 'number' ? new Date(v).toISOString() : (v ?? null)));
/** A message: text as it is, anything else (an object) as its JSON. */
const message = z.unknown().transform((v) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v))).optional();
/** Version numbers are numbers; numeric text is taken too. */
const versionNumber = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

/**
 * Raw Cortex JSON (providers.md §2). Only what we cannot do without is strict (ids, statuses,
 * version numbers); everything else is tolerant, so one odd field never hides a run or a workflow.
 */
export const CortexVersion = z.looseObject({
  id: z.string().min(1),
  version: versionNumber,
  workflow_id: z.string().nullish(),
  description: z.string().nullish(),
  input: z.unknown().optional(),
  input_default: z.unknown().optional(),
  created_at: when,
});
export type CortexVersion = z.output<typeof CortexVersion>;

export const CortexWorkflow = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  description: z.string().nullish(),
  version: CortexVersion.nullish(),
  tags: z.array(z.looseObject({ name: z.string().nullish() })).nullish(),
  app: z.looseObject({ name: z.string().nullish() }).nullish(),
  enabled: z.boolean().optional(),
  deleted: z.boolean().optional(),
  input: z.unknown().optional(),
  input_default: z.unknown().optional(),
});
export type CortexWorkflow = z.output<typeof CortexWorkflow>;

export const CortexRun = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  workflow_id: z.string().nullish(),
  result: z.unknown().optional(),
  input: z.unknown().optional(),
  /** Per step, keyed by step key (older API revisions sent an array); read by `stepOutputs`. */
  output: z.unknown().optional(),
  error: message,
  version: versionNumber.nullish(),
  started_at: when,
  ended_at: when,
  created_at: when,
});
export type CortexRun = z.output<typeof CortexRun>;

/** `{status, message, errors[]}` error bodies. */
export const CortexError = z.looseObject({ status: z.number().optional(), message: z.string().optional(), errors: z.array(z.unknown()).optional() });

/** A run as the API takes it: a number (seconds; -1 keeps forever) or the policy object. */
export type Retention = number | { max_age_in_seconds: number; preserve_on_failure?: boolean };

export interface RunBody {
  input?: Record<string, unknown>;
  workflow_version_id?: string;
  stream?: boolean;
  background?: boolean;
  retention?: Retention;
}

export interface ReplayBody {
  stepKey: string;
  stream?: boolean;
  retention?: Retention;
}
