// The webview side of the typed protocol: post only protocol messages, accept only validated ones.

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S = unknown>(): VsCodeApi<S>;

export function connect<In, Out, S = unknown>(
  isIncoming: (x: unknown) => x is In,
  onMessage: (m: In) => void,
): { post(m: Out): void; state: VsCodeApi<S> } {
  const api = acquireVsCodeApi<S>();
  window.addEventListener('message', (e: MessageEvent) => {
    if (isIncoming(e.data)) onMessage(e.data);
  });
  return { post: (m: Out) => api.postMessage(m), state: api };
}
