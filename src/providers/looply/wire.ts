import { z } from 'zod';

/** Raw Looply JSON (providers.md §4), tolerant where the contract says so. */

/** `latest` comes as the string "true"/"false" (and we accept a real boolean). */
const Flag = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
/** Versions are numbers; tolerate numeric strings. */
const Version = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number);
/** Epoch milliseconds (tolerate seconds and ISO strings). */
const Time = z.union([z.number(), z.string()]).nullish();

export const WorkflowSummary = z.looseObject({
  workflow_id: z.string().min(1),
  workflow_name: z.string().nullish(),
  workflow_version: Version.optional(),
  workflow_status: z.string().nullish(),
  workflow_status_version: z.string().nullish(),
  latest: Flag.optional(),
  description: z.string().nullish(),
  created_on: Time,
  modified_on: Time,
});
export type WorkflowSummary = z.output<typeof WorkflowSummary>;

export const WorkflowPage = z.looseObject({
  count: z.number().optional(),
  items: z.array(WorkflowSummary).default([]),
  lastKey: z.record(z.string(), z.union([z.string(), z.number()])).nullish(),
});

export const SchemaResponse = z.looseObject({
  item: z.looseObject({
    workflow_id: z.string().optional(),
    workflow_version: Version.optional(),
    workflow_mock_payload: z.unknown().optional(),
    workflow_schema: z.unknown().optional(),
  }),
});
export type SchemaResponse = z.output<typeof SchemaResponse>;

/** `getWorkflowById`: the workflow item; only its structure is read here (element shapes undocumented). */
export const WorkflowResponse = z.looseObject({
  item: z.looseObject({
    workflow_id: z.string().optional(),
    workflow_version: Version.optional(),
    workflow_status: z.string().nullish(),
    workflow_steps: z.unknown().optional(),
    workflow_connections: z.unknown().optional(),
  }),
});

export const TriggerResponse = z.looseObject({ message: z.string().optional(), looply_execution_id: z.string().min(1), profile: z.string().nullish() });

export const Execution = z.looseObject({
  workflow_execution_id: z.string().min(1),
  workflow_id: z.string().min(1),
  workflow_version: Version.optional(),
  workflow_current_state: z.string().nullish(),
  created_on: Time,
  modified_on: Time,
  workflow_trigger_type: z.string().nullish(),
  workflow_event_log: z.unknown().optional(),
  workflow_input_payload: z.unknown().optional(),
  workflow_output_payload: z.unknown().optional(),
  condensed_logs: z.unknown().optional(),
  workflow_details: z.unknown().optional(),
});
export type Execution = z.output<typeof Execution>;

export const ExecutionResponse = z.looseObject({ item: Execution });
export const ExecutionPage = z.looseObject({
  count: z.number().optional(),
  items: z.array(Execution).default([]),
  lastKey: z.record(z.string(), z.union([z.string(), z.number()])).nullish(),
});

/** Both documented shapes: `{message: "restarted"}` and `{message, code, data}`. */
export const ResumeResponse = z.looseObject({ message: z.string(), code: z.string().optional(), data: z.unknown().optional() });
export const TerminateResponse = z.looseObject({ message: z.string().optional() });
export const ToggleResponse = z.looseObject({ message: z.string().optional(), workflow_id: z.string().optional(), workflow_version: Version.optional(), status: z.string().optional() });
