import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { envelope, startHarness, tempDir, text, until, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A command workflow running `script` under sh; `$PIDFILE` names where it may write a child's pid. */
function command(name: string, script: string, pidFile: string): string {
  return JSON.stringify({ name, version: 1, input: { type: 'object' }, command: ['sh', '-c', script], env: { PIDFILE: pidFile } });
}

describe('command workflows and the processes they leave', () => {
  it('a command that exits while a background child keeps stdout open: the run ends with the command, its output read, and the child is stopped', async () => {
    const pidFile = join(tempDir(), 'child.pid');
    h = await startHarness({ files: { 'holder.workflow.json': command('Holder', 'sleep 300 & echo $! > "$PIDFILE"; echo \'{"done":true}\'; exit 0', pidFile) }, flags: { waitSeconds: 60 } });
    const r = await h.call('local_holder', {});
    assert.equal(envelope(r)['status'], 'completed', text(r));
    assert.deepEqual(envelope(r)['output'], { done: true });
    const child = Number(readFileSync(pidFile, 'utf8'));
    await until(() => !alive(child), 10_000, 'the background child to be stopped');
  });

  it('a background child that holds no pipe is stopped after a normal completion, and after a failure', async () => {
    const okPid = join(tempDir(), 'ok.pid');
    const failPid = join(tempDir(), 'fail.pid');
    h = await startHarness({
      files: {
        'quiet.workflow.json': command('Quiet', 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$PIDFILE"; echo 7', okPid),
        'broken.workflow.json': command('Broken', 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$PIDFILE"; echo boom >&2; exit 3', failPid),
      },
    });
    const ok = await h.call('local_quiet', {});
    assert.deepEqual([envelope(ok)['status'], envelope(ok)['output']], ['completed', 7]);
    const failed = await h.call('local_broken', {});
    assert.equal(envelope(failed)['status'], 'failed');
    assert.match(String(envelope(failed)['error']), /exited with code 3: boom/);
    for (const f of [okPid, failPid]) {
      const pid = Number(readFileSync(f, 'utf8'));
      await until(() => !alive(pid), 10_000, `child ${pid} to be stopped`);
    }
  });

  it('a child that made itself a new session (setsid) is stopped too: after a completion, and after a cancel', async () => {
    const donePid = join(tempDir(), 'done.pid');
    const cancelPid = join(tempDir(), 'cancel.pid');
    h = await startHarness({
      files: {
        'escape.workflow.json': command('Escape', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$PIDFILE"; echo 1', donePid),
        'escape-slow.workflow.json': command('Escape Slow', 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$PIDFILE"; sleep 300', cancelPid),
      },
      flags: { waitSeconds: 0 },
    });
    const done = await h.call('local_escape', {});
    await until(async () => (await h!.app.deps.tracker.get('local', String(envelope(done)['run_id'])))?.status === 'completed', 10_000, 'the run to complete');
    const escaped = Number(readFileSync(donePid, 'utf8'));
    await until(() => !alive(escaped), 10_000, `the setsid child ${escaped} to be stopped`);

    const slow = await h.call('local_escape_slow', {});
    await until(() => { try { return readFileSync(cancelPid, 'utf8').length > 0; } catch { return false; } }, 10_000, 'the child to start');
    const child = Number(readFileSync(cancelPid, 'utf8'));
    await h.call('cancel_run', { provider: 'local', run_id: String(envelope(slow)['run_id']) });
    await until(() => !alive(child), 10_000, `the setsid child ${child} to be stopped after a cancel`);
  });
});
