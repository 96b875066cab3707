// Verdicts of "Judge this pair" for the session, per document and pair, so the lens can show them
// and the hover can show the reasoning. (Runs are the state that lasts; these are one-off checks.)

import * as vscode from 'vscode';
import { type PairVerdict } from '../../core/method';

export type JudgeMode = 'plain' | 'persona';

export class VerdictStore implements vscode.Disposable {
  private readonly byKey = new Map<string, PairVerdict>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  private key(uri: vscode.Uri, pairId: string, mode: JudgeMode): string {
    return `${uri.toString()}\u0000${pairId}\u0000${mode}`;
  }

  set(uri: vscode.Uri, pairId: string, mode: JudgeMode, v: PairVerdict): void {
    this.byKey.set(this.key(uri, pairId, mode), v);
    this.changed.fire();
  }

  get(uri: vscode.Uri, pairId: string, mode: JudgeMode): PairVerdict | undefined {
    return this.byKey.get(this.key(uri, pairId, mode));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

const orderName = (o: string) => `(${o[0]},${o[1]})`;

/** `✓ chosen in both orders`, `✗ rejected (A,B) · ✓ (B,A)`, ... */
export function verdictTitle(v: Pick<PairVerdict, 'orders'>): string {
  const [a, b] = v.orders;
  const what = (o: PairVerdict['orders'][number]) => (o.preference === null ? 'no answer' : 'rejected');
  if (a.correct && b.correct) return '✓ chosen in both orders';
  if (!a.correct && !b.correct && what(a) === what(b)) return `✗ ${what(a)} in both orders`;
  return v.orders
    .map((o) => (o.correct ? `✓ ${orderName(o.order)}` : `✗ ${what(o)} ${orderName(o.order)}`))
    .join(' · ');
}
