/** The common model every provider maps its platform onto (DESIGN.md "Common model"). */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled' | 'unknown';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'unknown'];
const TERMINAL = new Set<RunStatus>(['completed', 'failed', 'cancelled']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

export type JSONSchema = Record<string, unknown>;

export interface WorkflowVersion {
  key: string;
  inputSchema: JSONSchema;
  outputSchema?: JSONSchema;
  defaults?: Record<string, unknown>;
  createdAt?: string;
  /** Shown to the model in addition to the workflow's description (e.g. a payload example). */
  note?: string;
}

export interface Workflow {
  provider: string;
  id: string;
  name: string;
  description?: string;
  versions: WorkflowVersion[];
  /** Key of the version the plain workflow tool runs. */
  latest: string;
  /** Where it came from (a file, a URL), for logs and the workflow resource. */
  source?: string;
}

export interface RunStep {
  key: string;
  name?: string;
  status: RunStatus;
  at: string;
}

export interface Run {
  provider: string;
  workflowId: string;
  version?: string;
  runId: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  raw?: unknown;
}

/** A change a provider observed; absent fields are unchanged. */
export interface RunUpdate {
  status?: RunStatus;
  output?: unknown;
  error?: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
  /** A line a person can read: the current step or what the workflow said. */
  message?: string;
  /** 0..1 when the workflow knows how far it is. */
  fraction?: number;
  step?: RunStep;
  /** The whole step list, for platforms that report it at once. */
  steps?: RunStep[];
  raw?: unknown;
  /**
   * Nothing more can be learned from the platform (it offers no way to read this run again):
   * watching stops here and waits end, with the status as given (`unknown`, say).
   */
  final?: boolean;
}

export interface Capabilities {
  listWorkflows: boolean;
  versions: boolean;
  schema: boolean;
  cancel: boolean;
  history: boolean;
  stream: boolean;
  resume: boolean;
  replay: boolean;
  schedule: boolean;
  files: boolean;
}

export interface CatalogProblem {
  /** A file path or an endpoint: where the problem is. */
  where: string;
  message: string;
}

/** Workflows read so far, while a provider reads its catalog (see `Provider.listWorkflows`). */
export type CatalogProgress = (workflows: Workflow[]) => void;

export interface CatalogListing {
  workflows: Workflow[];
  problems: CatalogProblem[];
}

export interface StartRequest {
  workflow: Workflow;
  version: WorkflowVersion;
  input: unknown;
  signal?: AbortSignal;
  /** Folders the MCP client offered (its roots), when it offers any: file arguments must be inside. */
  fileRoots?: string[];
}

export interface CancelOutcome {
  /** True when the platform was asked to stop the run and accepted. */
  accepted: boolean;
  note?: string;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface HistoryRequest {
  workflowId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
  /** Filters a platform may apply itself; results are filtered again by status. */
  status?: RunStatus | undefined;
  origin?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface Provider {
  readonly name: string;
  readonly capabilities: Capabilities;
  /**
   * False when runs live inside this process (local): a run left unfinished by an earlier process
   * cannot be observed again and is marked failed on start.
   */
  readonly runsOutliveProcess: boolean;
  /**
   * Every workflow, resolved once the whole catalog is read. A platform that reads its catalog in
   * pages (thousands of workflows take minutes) hands each workflow to `progress` as soon as it is
   * known, so it can be served at once; a workflow may be handed over again with more versions
   * (the last one wins). The resolved listing is the whole truth.
   */
  listWorkflows(signal?: AbortSignal, progress?: CatalogProgress): Promise<CatalogListing>;
  /** Starts exactly one run. Never retried by callers once it may have reached the platform. */
  start(req: StartRequest): Promise<Run>;
  /**
   * After a start whose outcome is unknown (`outcome_unknown`): runs of the request's workflow
   * that the platform started at or after `since` (ISO) and whose input matches the request's,
   * oldest first — for the tracker to adopt one instead of losing it. Platforms that list runs.
   */
  findStarted?(req: StartRequest, since: string, signal?: AbortSignal): Promise<Run[]>;
  /**
   * Push providers: calls `onUpdate` with each change until the run ends or `signal` aborts. A
   * provider that also polls may return before the run ended (its stream broke off): the
   * tracker then polls it to the end.
   */
  observe?(run: Run, onUpdate: (update: RunUpdate) => void, signal: AbortSignal): Promise<void>;
  /** Polling providers: reads the run once; the tracker decides when (adaptive, budgeted). */
  poll?(run: Run, signal: AbortSignal): Promise<RunUpdate & { status: RunStatus }>;
  /** How often to poll this provider's runs; the tracker's default when absent. */
  readonly pollSchedule?: { firstMs: number; factor: number; capMs: number; waitingMs: number };
  /** A webhook arrived with this token: the run it names (once; tokens are single-use), or null. */
  acceptWebhook?(token: string): Promise<string | null>;
  /** Platform requests per second all polling of this provider may use together. */
  readonly pollBudgetPerSecond?: number;
  cancel(run: Run): Promise<CancelOutcome>;
  /** The platform's own run history, newest first, one page; `cursor` is the provider's own. */
  history?(q: HistoryRequest): Promise<{ runs: Run[]; nextCursor: string | null }>;
  /** Starts a new run from one step of an earlier run (Cortex). */
  replay?(run: Run, stepKey: string, retentionDays?: number): Promise<Run>;
  /** Changes how long the platform keeps a run's data (Cortex); -1 keeps it forever. */
  setRetention?(run: Run, days: number): Promise<string>;
  /** Moves a run that waits for a person on (Looply). */
  resume?(run: Run, payload: Record<string, unknown>, source: string): Promise<string>;
  /** Pauses or resumes a scheduled workflow version (Looply). */
  setSchedule?(workflowId: string, version: string, action: 'pause' | 'play'): Promise<string>;
  /** How to resume a waiting run, for the model: which tool, which arguments. */
  resumeHint?: string;
  /** Called when the provider's catalog may have changed (a file was edited). */
  onCatalogChange?(listener: () => void): () => void;
  check(): Promise<DoctorCheck[]>;
  close(): Promise<void>;
}
