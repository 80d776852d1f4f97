import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { isTerminal, type Provider, type Run, type RunUpdate } from '../providers/types.js';
import { pollRun, RequestBudget, type BudgetSource, type PollBudget } from './poller.js';

/** One run being watched: how to read it as it is now, and where its changes go. */
export interface WatchTarget {
  current(): Run;
  apply(update: RunUpdate): void;
  signal: AbortSignal;
  /** Receives a function that makes the poller look again now. */
  onWake(wake: () => void): void;
}

/**
 * Follows runs to their end: push where the provider pushes, poll where it polls — and both
 * where a push may break off (a stream) — with one request budget per polling provider.
 */
export class RunWatcher {
  private readonly budgets = new Map<string, PollBudget>();
  private readonly budgetFor: BudgetSource;

  /** `budgets`: where each platform's poll budget comes from (shared by replicas); this process's own by default. */
  constructor(private readonly clock: Clock, private readonly log: Logger, budgets?: BudgetSource) {
    this.budgetFor = budgets ?? ((_, perSecond) => new RequestBudget(clock, perSecond));
  }

  watch(provider: Provider, t: WatchTarget): Promise<void> {
    const onUpdate = (u: RunUpdate): void => t.apply(u);
    if (provider.observe && !provider.poll) return provider.observe({ ...t.current() }, onUpdate, t.signal);
    if (provider.observe) {
      // A push that ends early (a stream broke off) leaves the rest to polling.
      return provider.observe({ ...t.current() }, onUpdate, t.signal)
        .catch((err: Error) => this.log.info(`${provider.name} run ${t.current().runId}: push failed (${err.message}); polling`))
        .then(() => (isTerminal(t.current().status) || t.signal.aborted ? undefined : this.poll(provider, t)));
    }
    return this.poll(provider, t);
  }

  private poll(provider: Provider, t: WatchTarget): Promise<void> {
    const read = provider.poll?.bind(provider);
    if (!read) return Promise.reject(new Error(`provider ${provider.name} can neither push nor poll`));
    let budget = this.budgets.get(provider.name);
    if (!budget) this.budgets.set(provider.name, (budget = this.budgetFor(provider.name, provider.pollBudgetPerSecond ?? 5)));
    return pollRun({
      read: (s) => read({ ...t.current() }, s), onUpdate: (u) => t.apply(u), signal: t.signal, clock: this.clock, budget, log: this.log,
      what: `${provider.name} run ${t.current().runId}`, onWake: t.onWake,
      ...(provider.pollSchedule ? { schedule: provider.pollSchedule } : {}),
    });
  }
}
