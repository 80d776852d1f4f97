/** The MCP suite on PostgreSQL, second half (see suite.ts). */
import { mcpSuiteOnPostgres } from './suite.js';

await mcpSuiteOnPostgres(1, 2);
