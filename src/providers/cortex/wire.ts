import { z } from 'zod';

/** Raw Cortex JSON (providers.md §2); tolerant of nulls and of fields the contract marks optional. */
export const CortexVersion = z.looseObject({
  id: z.string().min(1),
  version: z.number(),
  workflow_id: z.string().nullish(),
  description: z.string().nullish(),
  input: z.unknown().optional(),
  input_default: z.unknown().optional(),
  created_at: z.string().nullish(),
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

export const StepRun = z.looseObject({
  status: z.string(),
  key: z.string().optional(),
  type: z.string().nullish(),
  output: z.unknown().optional(),
  error: z.string().nullish(),
  start: z.number().nullish(),
  end: z.number().nullish(),
});

export const CortexRun = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  workflow_id: z.string().nullish(),
  result: z.unknown().optional(),
  input: z.unknown().optional(),
  /** Per step (older API revisions sent an array). */
  output: z.union([z.record(z.string(), StepRun), z.array(StepRun)]).nullish(),
  error: z.string().nullish(),
  version: z.number().nullish(),
  started_at: z.string().nullish(),
  ended_at: z.string().nullish(),
  created_at: z.string().nullish(),
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
