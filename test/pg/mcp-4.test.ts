/** The MCP suite on PostgreSQL, part 4 of 6 (see suite.ts): six files, so none nears the per-file timeout. */
import { mcpSuiteOnPostgres } from './suite.js';

await mcpSuiteOnPostgres(3, 6);
