import type { StaticTool } from '../tool.js';
import { refresh, runWorkflow, searchWorkflows } from './generic.js';
import { cancelRun, getRun, listRuns, resumeRun, setSchedule, waitForRun } from './runs.js';

/** Every static tool, in the order tools/list shows them; workflow tools come from the catalog. */
export const STATIC_TOOLS: readonly StaticTool[] = [runWorkflow, searchWorkflows, refresh, getRun, waitForRun, cancelRun, listRuns, resumeRun, setSchedule] as unknown as StaticTool[];
