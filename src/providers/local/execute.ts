import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { WorkflowError } from '../../core/errors.js';
import { jsonCopy, measureJson, STRINGIFY_DEPTH_SAFE } from '../../core/json.js';
import type { CommandWorkflow, ModuleWorkflow, WorkflowContext } from './definition.js';

export interface ExecuteOptions {
  runId: string;
  /** Stops the run (this server's own signal, not handed to workflow code). */
  signal: AbortSignal;
  /** The real AbortSignal a module workflow gets as `ctx.signal`, made when it first reads it. */
  workflowSignal?: () => AbortSignal;
  progress(message: string, fraction?: number): void;
  log: WorkflowContext['log'];
}

const MAX_STDOUT = 16 * 1024 * 1024;
const KILL_GRACE_MS = 3000;
/**
 * After the command exits, how long its pipes may stay open before the run ends anyway: a
 * background child holding stdout would otherwise keep the run "running" as long as it lives.
 */
const EXIT_DRAIN_MS = 500;
const PROGRESS_RE = /^progress:\s*(?:(\d+(?:\.\d+)?)%\s*)?(.*)$/i;

/** Rejects as soon as `signal` aborts, even when the workflow ignores it. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(signal.reason instanceof Error ? signal.reason : new WorkflowError('aborted', String(signal.reason ?? 'aborted')));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/**
 * What a module workflow receives. `signal` is made when first read, yet is an own enumerable
 * property as before (`{ ...ctx }` keeps it): one getter shared by every context. An object
 * literal with a getter of its own gets a hidden class per call, which kept each call's objects
 * through young-generation GCs.
 */
class Context implements WorkflowContext {
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: Context): AbortSignal {
      return this.#opts.workflowSignal?.() ?? this.#opts.signal;
    },
  };

  declare readonly signal: AbortSignal;
  readonly progress: WorkflowContext['progress'];
  readonly log: WorkflowContext['log'];
  readonly runId: string;
  readonly #opts: ExecuteOptions;

  constructor(opts: ExecuteOptions) {
    this.#opts = opts;
    this.progress = opts.progress;
    Object.defineProperty(this, 'signal', Context.#signal);
    this.log = opts.log;
    this.runId = opts.runId;
  }
}

export async function executeModule(def: ModuleWorkflow, input: unknown, opts: ExecuteOptions): Promise<unknown> {
  let value = input;
  if (def.parser) {
    // zod authors expect their own parse (coercions, transforms) to have run on `input`.
    const parsed = def.parser.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error?.issues?.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new WorkflowError('invalid_arguments', `Invalid input: ${issues ?? 'rejected by the workflow schema'}.`);
    }
    value = parsed.data;
  }
  const ctx = new Context(opts);
  const output = await Promise.race([Promise.resolve().then(() => def.run(value, ctx)), rejectOnAbort(opts.signal)]);
  return toJson(output);
}

function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    // A big output is copied without its JSON text: the text would be one more copy of it at once.
    if (measureJson(value, { maxDepth: STRINGIFY_DEPTH_SAFE, maxBytes: 1024 * 1024 }).over === 'size') return jsonCopy(value);
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch (err) {
    throw new WorkflowError('run_failed', `The workflow returned a value that is not JSON (${(err as Error).message}).`);
  }
}

function resolveProgram(def: CommandWorkflow, cwd: string): string {
  const program = def.command[0]!;
  return program.startsWith('./') || program.startsWith('../') ? resolve(cwd, program) : program;
}

export function executeCommand(def: CommandWorkflow, input: unknown, opts: ExecuteOptions): Promise<unknown> {
  const base = dirname(def.file);
  const cwd = def.cwd ? (isAbsolute(def.cwd) ? def.cwd : resolve(base, def.cwd)) : base;
  return new Promise((resolvePromise, reject) => {
    // A process group of its own, so cancel stops the children a script starts, too; and a mark
    // in their environment, for those that leave the group (setsid).
    const mark = randomBytes(12).toString('hex');
    // Got here, not imported: node:child_process (and the modules it loads) is only for command workflows.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(resolveProgram(def, base), def.command.slice(1), { cwd, env: { ...process.env, ...def.env, [MARK_VAR]: mark }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    const stderrTail: string[] = [];
    let pendingErr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let failure: Error | undefined;
    let finished = false;

    /** SIGTERM to the whole group now, SIGKILL to what is left of it after a grace period. */
    const endGroup = (): void => {
      signalGroup(child.pid, 'SIGTERM', mark);
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL', mark), KILL_GRACE_MS).unref();
    };
    const stop = (why: Error): void => {
      failure ??= why;
      endGroup();
    };
    const onAbort = (): void => stop(opts.signal.reason instanceof Error ? opts.signal.reason : new WorkflowError('aborted', 'aborted'));
    opts.signal.addEventListener('abort', onAbort, { once: true });

    const onStderrLine = (line: string): void => {
      const m = PROGRESS_RE.exec(line);
      if (m) return opts.progress(m[2]!.trim(), m[1] === undefined ? undefined : Math.min(1, Number(m[1]) / 100));
      if (line.trim() === '') return;
      opts.log.debug(line);
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT) return stop(new WorkflowError('run_failed', `The command wrote more than ${MAX_STDOUT} bytes to stdout; it was stopped.`));
      stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (pendingErr + chunk).split(/\r?\n/);
      pendingErr = lines.pop() ?? '';
      lines.forEach(onStderrLine);
    });
    child.stdin.on('error', () => {
      // The program did not read its input (EPIPE); its exit code decides the outcome.
    });
    child.stdin.end(JSON.stringify(input ?? {}));

    child.on('error', (err) => {
      opts.signal.removeEventListener('abort', onAbort);
      reject(new WorkflowError('run_failed', `Could not start ${def.command[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}. Check the "command" in ${def.file}.`));
    });
    // The run ends when the command exits: whatever it started in its group is stopped, what is
    // already in the pipes is read, and the pipes are not waited on for longer than EXIT_DRAIN_MS.
    child.on('exit', (code, sig) => {
      endGroup();
      setTimeout(() => finish(code, sig), EXIT_DRAIN_MS).unref();
    });
    child.on('close', (code, sig) => finish(code, sig));
    const finish = (code: number | null, sig: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      child.stdout.destroy();
      child.stderr.destroy();
      opts.signal.removeEventListener('abort', onAbort);
      if (pendingErr) onStderrLine(pendingErr);
      if (failure) return reject(failure);
      if (code !== 0) {
        const tail = stderrTail.slice(-5).join('\n');
        const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        return reject(new WorkflowError('run_failed', `The command ${how}${tail ? `: ${tail}` : '.'}`));
      }
      // One copy at a time: the chunks go once joined, the joined bytes once decoded.
      let whole: Buffer | null = Buffer.concat(stdout);
      stdout.length = 0;
      const text = whole.toString('utf8');
      whole = null;
      try {
        resolvePromise(JSON.parse(text));
      } catch {
        resolvePromise(text.trimEnd());
      }
    };
  });
}

/** Every process a command starts carries this in its environment, with the run's own value. */
export const MARK_VAR = 'WORKFLOWS_MCP_RUN_MARK';

/** The command's process group, and (Linux) every process still marked as this run's: those that left the group. */
function signalGroup(pid: number | undefined, sig: NodeJS.Signals, mark: string): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
  for (const p of markedProcesses(mark)) {
    try {
      process.kill(p, sig);
    } catch {
      // Gone meanwhile.
    }
  }
}

/**
 * Linux: the processes whose environment holds this run's mark — a child that called setsid (a new
 * session and group) is found wherever it was reparented. One read of /proc per ending; a process
 * that cleared its environment is not found (the README says so).
 */
function markedProcesses(mark: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`${MARK_VAR}=${mark}\0`);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(needle)) found.push(Number(name));
    } catch {
      // Gone, or another user's: not ours to signal.
    }
  }
  return found;
}
