import type { Redactor } from './redact.js';

/** syslog levels, as MCP uses them. */
export const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type Level = (typeof LEVELS)[number];

export function levelAtLeast(level: Level, min: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}

export interface LogRecord {
  level: Level;
  message: string;
  fields: Record<string, unknown>;
  time: string;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Adds a sink (an MCP connection, a test); returns its removal. */
  addSink(sink: LogSink): () => void;
}

/**
 * The one logger. Every record is redacted before any sink sees it. The stderr sink is the
 * default one: in stdio mode stdout is the protocol, so nothing here ever writes to stdout.
 */
export function createLogger(options: { redactor: Redactor; stderrLevel: Level; write?: (line: string) => void }): Logger {
  const sinks = new Set<LogSink>();
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  sinks.add((r) => {
    if (!levelAtLeast(r.level, options.stderrLevel)) return;
    const extra = Object.keys(r.fields).length ? ` ${JSON.stringify(r.fields)}` : '';
    write(`${r.time} workflows-mcp ${r.level}: ${r.message}${extra}\n`);
  });
  const emit = (level: Level, message: string, fields: Record<string, unknown> = {}): void => {
    const record: LogRecord = {
      level,
      message: options.redactor.redact(message),
      fields: options.redactor.redactValue(fields),
      time: new Date().toISOString(),
    };
    for (const sink of sinks) {
      try {
        sink(record);
      } catch {
        // A broken sink (a closed connection) must not break logging for the others.
      }
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warning', m, f),
    error: (m, f) => emit('error', m, f),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
}
