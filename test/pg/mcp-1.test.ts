/** The MCP suite on PostgreSQL, first half (see suite.ts). */
import { mcpSuiteOnPostgres } from './suite.js';

await mcpSuiteOnPostgres(0, 2);
