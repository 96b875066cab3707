// Every LLM run shows cancellable progress; cancelling (the notification's button or the
// Cancel Run command) aborts the AbortSignal that the engine passes to every request.

import * as vscode from 'vscode';

export interface RunReport {
  /** done of total, with an optional message. */
  (done: number, total: number, message?: string): void;
}

export class RunProgress implements vscode.Disposable {
  private readonly active = new Set<AbortController>();
  private readonly changed = new vscode.EventEmitter<number>();
  /** Fires with the number of runs in flight. */
  readonly onDidChange = this.changed.event;

  get running(): number {
    return this.active.size;
  }

  /** `cancel`: a second way to cancel besides the notification's button (a Testing panel run's token). */
  run<T>(
    title: string,
    work: (signal: AbortSignal, report: RunReport) => Promise<T>,
    cancel?: vscode.CancellationToken,
  ): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `SynthesizeMe: ${title}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const sub = token.onCancellationRequested(() => controller.abort());
          const other = cancel?.onCancellationRequested(() => controller.abort());
          if (cancel?.isCancellationRequested) controller.abort();
          this.active.add(controller);
          this.changed.fire(this.active.size);
          let last = 0;
          const report: RunReport = (done, total, message) => {
            const pct = total > 0 ? (100 * done) / total : 0;
            progress.report({ increment: Math.max(0, pct - last), message: message ?? `${done} of ${total}` });
            last = Math.max(last, pct);
          };
          try {
            return await work(controller.signal, report);
          } finally {
            sub.dispose();
            other?.dispose();
            this.active.delete(controller);
            this.changed.fire(this.active.size);
          }
        },
      ),
    );
  }

  /** Aborts every run in flight; returns how many there were. */
  cancelAll(): number {
    const n = this.active.size;
    for (const c of this.active) c.abort();
    return n;
  }

  dispose(): void {
    this.cancelAll();
    this.changed.dispose();
  }
}

/** A cancelled run is not an error to show. */
export function wasCancelled(err: unknown, signal?: AbortSignal): boolean {
  const e = err as { name?: string; kind?: string };
  return signal?.aborted === true || e?.name === 'AbortError' || e?.kind === 'aborted';
}
