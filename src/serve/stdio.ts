import { createMcpServer } from '../mcp/server.js';
import type { App } from './app.js';
import { StdioLineTransport } from './stdio-transport.js';

/**
 * Serves MCP over stdin/stdout until stdin closes or a signal arrives. stdout carries only
 * protocol frames; every log line goes to stderr.
 */
export async function serveStdio(app: App, io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {}): Promise<void> {
  const connection = createMcpServer(app.deps);
  const transport = new StdioLineTransport(io.stdin, io.stdout, app.log);
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info(`stopping (${why})`);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    await connection.close().catch(() => {});
    await app.close();
    resolveDone();
  };
  const onSigint = (): void => void stop('SIGINT');
  const onSigterm = (): void => void stop('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const previous = transport.onclose;
  transport.onclose = () => {
    previous?.();
    void stop('the client closed the connection');
  };
  await connection.connect(transport);
  (io.stdin ?? process.stdin).on('end', () => void transport.close());
  const tools = app.deps.catalog.tools.length;
  app.log.info(`serving ${app.deps.catalog.workflows.length} workflows as ${tools} tools over stdio (version ${app.deps.version})`);
  await done;
}
