/**
 * JSON-RPC over HTTP on 127.0.0.1 for any EIP-1193 provider (the embedded chain): what MetaMask,
 * viem's `http()` transport or curl talk to. Node only. Batches and CORS are supported (the page
 * is served from another port).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EIP1193RequestFn } from 'viem';

export interface ChainServerOptions {
  provider: { request: EIP1193RequestFn };
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the local chain's keys are public, never expose it. */
  host?: string;
  /** Request body limit in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: number | string | null;
  method?: unknown;
  params?: unknown;
}

export class ChainServer {
  readonly #options: Required<Omit<ChainServerOptions, 'provider'>> & Pick<ChainServerOptions, 'provider'>;
  #server: Server | undefined;
  #port = 0;

  constructor(options: ChainServerOptions) {
    this.#options = { port: 0, host: '127.0.0.1', maxBodyBytes: 8 << 20, ...options };
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (!this.#server) throw new Error('ChainServer is not started');
    return `http://${this.#options.host}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async #call(m: JsonRpcRequest) {
    const id = m?.id ?? null;
    if (!m || typeof m.method !== 'string') return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    try {
      const result = await this.#options.provider.request({ method: m.method, params: m.params } as never);
      return { jsonrpc: '2.0', id, result: result ?? null };
    } catch (e) {
      const err = e as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: '2.0', id, error: { code: typeof err.code === 'number' ? err.code : -32603, message: err.message ?? String(e), ...(err.data !== undefined ? { data: err.data } : {}) } };
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const headers = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST, OPTIONS', 'content-type': 'application/json' };
    if (req.method === 'OPTIONS') return void res.writeHead(204, headers).end();
    if (req.method !== 'POST') return void res.writeHead(405, headers).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'POST only' } }));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > this.#options.maxBodyBytes) return void res.writeHead(413, headers).end();
      chunks.push(c as Buffer);
    }
    let msg: unknown;
    try {
      msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return void res.writeHead(200, headers).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
    }
    // Batches run in order: the provider serialises anyway, and order is what a client expects.
    let out: unknown;
    if (Array.isArray(msg)) {
      const results = [];
      for (const m of msg) results.push(await this.#call(m as JsonRpcRequest));
      out = results;
    } else out = await this.#call(msg as JsonRpcRequest);
    res.writeHead(200, headers).end(JSON.stringify(out));
  }
}
