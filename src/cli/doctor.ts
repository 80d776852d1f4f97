import type { DoctorCheck } from '../providers/types.js';
import type { App } from '../serve/app.js';
import type { CliIo } from './commands.js';

/** Config, state folder and each provider, one line each; exit 1 when anything is wrong. */
export async function doctorCommand(app: App, configFile: string | null, io: CliIo): Promise<number> {
  const checks: DoctorCheck[] = [];
  checks.push({ name: 'config', ok: true, message: configFile ?? 'no config file; defaults, environment and flags' });
  try {
    checks.push(...(await app.deps.tracker.store.check()));
  } catch (err) {
    checks.push({ name: 'journal', ok: false, message: (err as Error).message });
  }
  for (const name of app.deps.catalog.providerNames()) {
    const provider = app.deps.catalog.provider(name)!;
    try {
      checks.push(...(await provider.check()));
    } catch (err) {
      checks.push({ name, ok: false, message: (err as Error).message });
    }
  }
  for (const u of app.unavailable) checks.push({ name: u.name, ok: false, message: u.reason });
  const tools = app.deps.catalog.tools.length;
  checks.push({ name: 'tools', ok: true, message: `${tools} workflow tools${tools > app.config.maxTools ? ` (over maxTools ${app.config.maxTools}: compact listing)` : ''}` });
  for (const c of checks) io.stdout(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${app.redactor.redact(c.message)}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}
