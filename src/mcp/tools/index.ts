import type { StaticTool } from '../tool.js';
import { refresh, runWorkflow, searchWorkflows } from './generic.js';
import { replayRun, resumeRun, setRunRetention, setSchedule } from './platform.js';
import { cancelRun, getRun, listRuns, waitForRun } from './runs.js';

/** Every static tool, in the order tools/list shows them; workflow tools come from the catalog. */
export const STATIC_TOOLS: readonly StaticTool[] = [runWorkflow, searchWorkflows, refresh, getRun, waitForRun, cancelRun, listRuns, resumeRun, replayRun, setSchedule, setRunRetention] as unknown as StaticTool[];
