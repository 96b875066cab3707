// A `fetch` for the provider clients, over node:http(s) with keep-alive agents. Node's built-in
// fetch (undici) spends about a millisecond of CPU per call on this machine class; the plain
// http stack about half of it. That does not matter for one call, but a benchmark run keeps
// dozens in flight and their answers arrive together: the client's per-call cost becomes the
// queue every answer waits in. Whatever this fetch does not handle plainly (redirects, bodies
// that are not strings or bytes, Request objects) goes to the built-in fetch unchanged.
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/** Sees each chunk of a response body as it arrives; an Error returned ends the body with it. */
export type BodyWatcher = (chunk: Buffer) => Error | undefined;

export interface HttpFetchOptions {
  /** Chooses a watcher for a response from its status and headers (none: the body is not watched). */
  watch?: (status: number, headers: http.IncomingHttpHeaders) => BodyWatcher | undefined;
}

export const httpFetch: typeof fetch = createHttpFetch();

/**
 * A fetch with an optional body watcher. Watching here, on the Node stream, costs a fraction of
 * a WHATWG TransformStream on the Response body.
 */
export function createHttpFetch(options: HttpFetchOptions = {}): typeof fetch {
  return (input, init) => request(input, init, options);
}

function request(
  input: string | URL | Request,
  init: RequestInit | undefined,
  options: HttpFetchOptions,
): Promise<Response> {
  if (input instanceof Request || !plainBody(init?.body)) return fetch(input, init);
  const url = new URL(input instanceof URL ? input.href : input);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return fetch(input, init);
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason ?? abortError());

  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  const method = (init?.method ?? 'GET').toUpperCase();

  return new Promise<Response>((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && init?.redirect !== 'manual') {
        // Redirects are rare for model servers; the built-in fetch knows their rules.
        res.resume();
        fetch(input, init).then(resolve, reject);
        return;
      }
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v);
      }
      const empty = method === 'HEAD' || NULL_BODY_STATUS.has(status);
      let body: Readable | undefined;
      if (!empty) {
        const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
        const decoder =
          encoding === 'gzip' || encoding === 'x-gzip'
            ? zlib.createGunzip()
            : encoding === 'deflate'
              ? zlib.createInflate()
              : encoding === 'br'
                ? zlib.createBrotliDecompress()
                : undefined;
        if (decoder) {
          // Decoded bytes no longer match these headers (as with the built-in fetch).
          responseHeaders.delete('content-encoding');
          responseHeaders.delete('content-length');
          res.on('error', (err) => decoder.destroy(err));
          body = res.pipe(decoder);
        } else body = res;
        const watcher = options.watch?.(status, res.headers);
        if (watcher) {
          const source = body;
          const watched = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              done(watcher(chunk) ?? null, chunk);
            },
          });
          source.on('error', (err) => watched.destroy(err));
          body = source.pipe(watched);
        }
      }
      if (body && signal) {
        // Like the built-in fetch: a body read after an abort fails with the AbortError itself.
        const stream = body;
        const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : abortError());
        signal.addEventListener('abort', onAbort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      resolve(
        new Response(body ? (Readable.toWeb(body) as unknown as ReadableStream<Uint8Array>) : null, {
          status,
          statusText: res.statusMessage ?? '',
          headers: responseHeaders,
        }),
      );
    };
    const send = (agent: http.Agent | false) => {
      const req = (secure ? https : http).request(url, { method, headers, agent, signal }, onResponse);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket that the server closed while it sat in the pool (llama-server's httplib closes
        // idle connections after 5 s) fails at once with ECONNRESET/EPIPE, before any byte of a response.
        // Node's documentation gives the remedy: send the request again, here on a fresh connection. The
        // request never reached the server, so this is no retry of the call.
        if (agent && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !signal?.aborted)
          send(false);
        else reject(err);
      });
      req.end(init?.body === null || init?.body === undefined ? undefined : (init.body as string | Uint8Array));
    };
    send(secure ? agents.https : agents.http);
  });
}

function plainBody(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

function abortError(): Error {
  const err = new Error('This operation was aborted');
  err.name = 'AbortError';
  return err;
}
