/** Small node:http helpers shared by the dashboard and play servers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://host:port/` */
  readonly url: string;
  /** Stops listening and drops open (streaming) connections. */
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** The default bind address: the page is for this machine only. */
export const DEFAULT_HOST = "127.0.0.1";

export function sendText(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function readBody(req: IncomingMessage, limit = 1 << 16): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error("request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Listens on host:port (port 0: any free port) and resolves once bound. */
export async function listen(handler: Handler, opts: { host?: string; port?: number } = {}): Promise<WebServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve(handler(req, res, url)).catch((e: unknown) => {
      if (!res.headersSent) sendText(res, 500, `${(e as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE"
      ? new Error(`${host}:${opts.port} is in use; pass another --port (0: any free port)`) : e));
    server.listen(opts.port ?? 0, host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    url: `http://${shownHost}:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
