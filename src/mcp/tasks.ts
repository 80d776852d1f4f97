import { EventEmitter } from 'node:events';
// The store's own module: the package's tasks index also loads the high-level McpServer and zod-to-json-schema.
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import type { TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, CreateTaskResult, Request, RequestId, Result, ServerNotification, ServerRequest, Task } from '@modelcontextprotocol/sdk/types.js';
import type { CreateTaskOptions } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import { internalDetail } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { errorResult } from './envelope.js';
import type { CallContext } from './tool.js';

const TTL_DEFAULT_MS = 3_600_000;
const TTL_MAX_MS = 86_400_000;
const POLL_INTERVAL_MS = 1000;

/**
 * Where MCP tasks are kept: this process's memory, or PostgreSQL shared by replicas (any replica
 * reads a task's status and result, and cancels it). The SDK's TaskStore, plus the one signal a
 * store must carry between replicas: a task was cancelled, so whoever runs it stops.
 */
export interface TaskBackend extends TaskStore {
  /** As the SDK's, with the replica that runs the task (`owner`, the run store's name for it). */
  createTask(params: CreateTaskOptions, requestId: RequestId, request: Request, sessionId?: string, owner?: string): Promise<Task>;
  onCancelled(listener: (taskId: string) => void): () => void;
  /** The run a task waits on: whoever adopts the run when the task's replica dies takes the task too. */
  linkRun(taskId: string, run: RunRef, owner: string): Promise<void>;
  /** The working tasks waiting on `run`, now `owner`'s (it adopted the run). */
  claimRunTasks(run: RunRef, owner: string): Promise<ClaimedTask[]>;
  /** Ends with `result` the working tasks whose replica stopped before they had a run; how many. */
  failOrphans(result: Result): Promise<number>;
  close(): Promise<void>;
}

export interface RunRef {
  provider: string;
  runId: string;
}

export interface ClaimedTask {
  taskId: string;
  ttl: number | null;
  createdAt: string;
}

/** The embedded backend: every connection of this process shares one in-memory store. */
export class MemoryTaskBackend extends InMemoryTaskStore implements TaskBackend {
  private readonly cancelled = new EventEmitter().setMaxListeners(0);

  override async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await super.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') this.cancelled.emit('cancelled', taskId);
  }

  onCancelled(listener: (taskId: string) => void): () => void {
    this.cancelled.on('cancelled', listener);
    return () => void this.cancelled.off('cancelled', listener);
  }

  // One process: its tasks end with it, so no other process ever takes them.
  async linkRun(): Promise<void> {}

  async claimRunTasks(): Promise<ClaimedTask[]> {
    return [];
  }

  async failOrphans(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.cleanup();
    this.cancelled.removeAllListeners();
  }
}

/** One connection's view of the tasks: the shared backend, plus the tasks this connection runs, which `tasks/cancel` (from any replica) stops. */
export class RunTaskStore implements TaskStore {
  private readonly controllers = new Map<string, AbortController>();
  private readonly stop: () => void;

  /** `recorded`: resolves once a run is in the journal, where another replica taking the task over looks for it. */
  constructor(private readonly backend: TaskBackend, private readonly owner: string, private readonly recorded: (run: RunRef) => Promise<void> = async () => {}) {
    this.stop = backend.onCancelled((taskId) => this.controllers.get(taskId)?.abort());
  }

  /** The signal that aborts when the task is cancelled. */
  signalFor(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.controllers.set(taskId, controller);
    return controller.signal;
  }

  release(taskId: string): void {
    this.controllers.delete(taskId);
  }

  /** Stops hearing of cancellations; tasks already running go on to their end. */
  close(): void {
    this.stop();
  }

  createTask(...[params, requestId, request, sessionId]: Parameters<TaskStore['createTask']>): ReturnType<TaskStore['createTask']> {
    return this.backend.createTask(params, requestId, request, sessionId, this.owner);
  }

  async linkRun(taskId: string, run: RunRef): Promise<void> {
    await this.recorded(run);
    await this.backend.linkRun(taskId, run, this.owner);
  }

  getTask(...a: Parameters<TaskStore['getTask']>): ReturnType<TaskStore['getTask']> {
    return this.backend.getTask(...a);
  }

  storeTaskResult(...a: Parameters<TaskStore['storeTaskResult']>): ReturnType<TaskStore['storeTaskResult']> {
    return this.backend.storeTaskResult(...a);
  }

  getTaskResult(...a: Parameters<TaskStore['getTaskResult']>): ReturnType<TaskStore['getTaskResult']> {
    return this.backend.getTaskResult(...a);
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await this.backend.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') this.controllers.get(taskId)?.abort(); // at once here; other replicas hear it from the backend
  }

  listTasks(...a: Parameters<TaskStore['listTasks']>): ReturnType<TaskStore['listTasks']> {
    return this.backend.listTasks(...a);
  }
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * A task-augmented tools/call: the task is answered at once, and the call goes on in the
 * background — waiting for the run's end, not for the wait budget — until its result becomes
 * the task's. Progress goes on with the original token and is mirrored in the task's status
 * message. `call` is the same code path a plain call takes.
 */
export async function startTask(
  store: RunTaskStore, extra: Extra, log: Logger,
  call: (overrides: Partial<CallContext>) => Promise<CallToolResult>,
): Promise<CreateTaskResult> {
  const tasks = extra.taskStore!;
  const ttl = Math.min(extra.taskRequestedTtl ?? TTL_DEFAULT_MS, TTL_MAX_MS);
  const task = await tasks.createTask({ ttl, pollInterval: POLL_INTERVAL_MS });
  const id = task.taskId;
  const sendNotification = async (n: ServerNotification): Promise<void> => {
    if (n.method === 'notifications/progress' && typeof n.params.message === 'string') void tasks.updateTaskStatus(id, 'working', n.params.message).catch(() => {});
    await extra.sendNotification(n);
  };
  const onRun = (run: RunRef): void => void store.linkRun(id, run).catch((err: Error) => log.warn(`task ${id}: could not record its run ${run.runId}: ${err.message}`));
  void call({ signal: store.signalFor(id), waitMs: ttl, sendNotification, onRun })
    .catch((err: unknown) => {
      log.error(`task ${id} failed: ${internalDetail(err)}`);
      return errorResult('Internal error in workflows-mcp; the server log has the details.');
    })
    .then((result) => tasks.storeTaskResult(id, result.isError ? 'failed' : 'completed', result))
    .catch(() => {
      // The task was cancelled meanwhile: it keeps that status (terminal tasks do not change).
    })
    .finally(() => store.release(id));
  return { task, _meta: { 'io.modelcontextprotocol/model-immediate-response': `The workflow run started as task ${id}; its result arrives with the task.` } };
}
