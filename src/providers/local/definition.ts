import { z } from 'zod';
import type { JSONSchema } from '../types.js';
import { toJsonSchema, type ParsingSchema } from './schema.js';

/** What a module workflow receives besides its input. */
export interface WorkflowContext {
  progress(message: string, fraction?: number): void;
  signal: AbortSignal;
  log: { debug(msg: string): void; info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  runId: string;
}

/** The default export of a `*.workflow.mjs` module. */
export interface WorkflowDefinition<I = any, O = unknown> {
  name: string;
  description?: string;
  version?: string | number;
  input?: unknown;
  output?: unknown;
  timeoutSeconds?: number;
  run(input: I, ctx: WorkflowContext): O | Promise<O>;
}

/** The same object, with types: `export default defineWorkflow({ … })`. */
export function defineWorkflow<I = any, O = unknown>(definition: WorkflowDefinition<I, O>): WorkflowDefinition<I, O> {
  return definition;
}

const common = {
  name: z.string().trim().min(1, 'must be a non-empty string'),
  description: z.string().optional(),
  version: z.union([z.string().trim().min(1), z.number()]).default('1').transform(String),
  timeoutSeconds: z.number().positive().optional(),
};

const ModuleShape = z.looseObject({
  ...common,
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  run: z.custom<WorkflowDefinition['run']>((v) => typeof v === 'function', 'must be a function (input, ctx) => output'),
});

const CommandShape = z.strictObject({
  ...common,
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.record(z.string(), z.unknown()).optional(),
  command: z.array(z.string().min(1)).min(1, 'must name the program and its arguments, e.g. ["python3", "./run.py"]'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
});

interface Base {
  file: string;
  name: string;
  description: string | undefined;
  version: string;
  inputSchema: JSONSchema;
  outputSchema: JSONSchema | undefined;
  timeoutSeconds: number | undefined;
}
export interface ModuleWorkflow extends Base {
  kind: 'module';
  run: WorkflowDefinition['run'];
  parser: ParsingSchema | null;
}
export interface CommandWorkflow extends Base {
  kind: 'command';
  command: string[];
  cwd: string | undefined;
  env: Record<string, string> | undefined;
}
export type LocalWorkflow = ModuleWorkflow | CommandWorkflow;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export function parseModuleDefinition(file: string, value: unknown): ModuleWorkflow {
  const got = ModuleShape.safeParse(value);
  if (!got.success) throw new Error(`default export is not a workflow: ${describeIssues(got.error)}`);
  const input = toJsonSchema(got.data.input);
  const output = got.data.output === undefined ? undefined : toJsonSchema(got.data.output).schema;
  return {
    kind: 'module', file, name: got.data.name, description: got.data.description, version: got.data.version,
    inputSchema: input.schema, outputSchema: output, timeoutSeconds: got.data.timeoutSeconds,
    run: got.data.run, parser: input.parser,
  };
}

export function parseCommandDefinition(file: string, value: unknown): CommandWorkflow {
  const got = CommandShape.safeParse(value);
  if (!got.success) throw new Error(describeIssues(got.error));
  return {
    kind: 'command', file, name: got.data.name, description: got.data.description, version: got.data.version,
    inputSchema: got.data.input ?? { type: 'object', additionalProperties: true }, outputSchema: got.data.output,
    timeoutSeconds: got.data.timeoutSeconds, command: got.data.command, cwd: got.data.cwd, env: got.data.env,
  };
}
