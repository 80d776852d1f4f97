/** What a local workflow module may import: `import { defineWorkflow } from 'workflows-mcp'`. */
export { defineWorkflow } from './providers/local/definition.js';
export type { WorkflowContext, WorkflowDefinition } from './providers/local/definition.js';
export type { Run, RunStatus, Workflow, WorkflowVersion } from './providers/types.js';
