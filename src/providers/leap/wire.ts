import { z } from 'zod';

/** A Leap workflow run, v1 (`output`, times) or v2 (`result`); fields may be null or absent. */
export const LeapRun = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  workflow_id: z.string().nullish(),
  version_id: z.string().nullish(),
  created_at: z.string().nullish(),
  started_at: z.string().nullish(),
  ended_at: z.string().nullish(),
  error: z.string().nullish(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  result: z.unknown().optional(),
});
export type LeapRun = z.output<typeof LeapRun>;
