import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, CreateTaskResult, ServerNotification, ServerRequest, Task } from '@modelcontextprotocol/sdk/types.js';
import { internalDetail } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { errorResult } from './envelope.js';
import type { CallContext } from './tool.js';

const TTL_DEFAULT_MS = 3_600_000;
const TTL_MAX_MS = 86_400_000;
const POLL_INTERVAL_MS = 1000;

/** MCP tasks (experimental in 2025-11-25) of one connection; `tasks/cancel` stops the task's run. */
export class RunTaskStore extends InMemoryTaskStore {
  private readonly controllers = new Map<string, AbortController>();

  /** The signal that aborts when the task is cancelled. */
  signalFor(taskId: string): AbortSignal {
    const controller = new AbortController();
    this.controllers.set(taskId, controller);
    return controller.signal;
  }

  release(taskId: string): void {
    this.controllers.delete(taskId);
  }

  override async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string, sessionId?: string): Promise<void> {
    await super.updateTaskStatus(taskId, status, statusMessage, sessionId);
    if (status === 'cancelled') this.controllers.get(taskId)?.abort();
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
  void call({ signal: store.signalFor(id), waitMs: ttl, sendNotification })
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
