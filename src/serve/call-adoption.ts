import type { JSONRPCMessage, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { awaitRun } from '../mcp/call.js';
import type { LinkedCall } from '../mcp/call-links.js';
import { LOCAL_PRINCIPAL } from '../mcp/principal.js';
import type { CallContext, McpDeps } from '../mcp/tool.js';
import type { JournalRun } from '../runs/journal.js';
import type { PgCallLinks } from './call-links-pg.js';
import type { SessionStore } from './session-store.js';

/**
 * `tools/call`s in flight on a replica that died follow their run: the replica that adopts the
 * run claims the calls waiting on it and, when the run settles or the call's wait budget runs
 * out (whichever first), appends the answer the call itself would have sent — progress first,
 * when the client asked for it — to the call's SSE stream in the shared event store. A client
 * resuming that stream (GET with `Last-Event-ID`) on any replica receives it. A run that could
 * not move was failed by the adoption, saying why: its calls get that result.
 */
export function followAdoptedCalls(deps: McpDeps, links: PgCallLinks, events: SessionStore, leaseMs: number): () => void {
  const warn = (err: Error): void => deps.log.warn(`calls in flight on a stopped server: could not answer them: ${err.message}`);
  const stop = deps.tracker.onAdopted((run) => {
    void links.claim(run, deps.tracker.owner).then(async (calls) => {
      if (calls.length) deps.log.info(`run ${run.provider}/${run.runId}: took over ${calls.length} call(s) in flight on the stopped server; their answers follow the run`);
      await Promise.all(calls.map((c) => answer(deps, links, events, run, c)));
    }).catch(warn);
  });
  // Calls no adoption brings here: their run had ended, or a live replica owns it (wait_for_run).
  const timer = setInterval(() => {
    void links.claimOrphans(deps.tracker.owner).then(async (calls) => {
      if (calls.length) deps.log.info(`took over ${calls.length} call(s) in flight on a stopped server, waiting on runs it did not own`);
      await Promise.all(calls.map(async (c) => {
        const run = await deps.tracker.get(c.provider, c.runId);
        if (run) await answer(deps, links, events, run, c);
      }));
    }).catch(warn);
  }, leaseMs);
  timer.unref();
  return () => {
    stop();
    clearInterval(timer);
  };
}

async function answer(deps: McpDeps, links: PgCallLinks, events: SessionStore, run: JournalRun, c: LinkedCall): Promise<void> {
  const send = (m: Omit<JSONRPCMessage, 'jsonrpc'>): Promise<string> => events.appendEvent(c.sessionId, c.streamId, { jsonrpc: '2.0', ...m } as JSONRPCMessage);
  const ctx: CallContext = {
    deps, principal: LOCAL_PRINCIPAL, signal: deps.stopping, progressToken: c.progressToken,
    sendNotification: async (n: ServerNotification) => void (await send(deps.redact(n))),
    clientRoots: async () => null, closing: () => deps.stopping.aborted,
  };
  const result = deps.redact(await awaitRun(ctx, run, Math.max(0, c.deadline - Date.now()), { cancelOnAbort: false, budgetMs: c.budgetMs }));
  if (deps.stopping.aborted) return; // this server stops too: the run's next adopter answers
  await send({ id: c.requestId, result } as Omit<JSONRPCMessage, 'jsonrpc'>);
  await links.unlink(c.sessionId, c.requestId);
}
