/**
 * Small node:http helpers shared by the dashboard and play servers, including the guard
 * every request passes first. The servers are for this machine (or a LAN address the
 * user chose), so:
 *
 * - `Host` must name this server by an IP address or `localhost`, with its port. A page
 *   on a foreign domain that resolves to 127.0.0.1 (DNS rebinding) sends its own domain
 *   as Host and is refused, so it can read nothing.
 * - An `Origin` header, when present, must be this server's own origin: other sites'
 *   pages cannot open streams or send input.
 * - Requests that change state must be JSON (`content-type: application/json`), which a
 *   cross-origin page cannot send without a CORS preflight, and the preflight fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, isIP } from "node:net";
import { brief } from "../../util/text.js";

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

/**
 * Why `req` is refused by the guard described above (a 403/415 message), or null when it
 * may proceed. `boundHost` is the address the server listens on, `port` its port.
 */
function requestProblem(req: IncomingMessage, boundHost: string, port: number): { status: number; message: string } | null {
  const host = req.headers.host ?? "";
  // A host name or IPv4 address, or a bracketed IPv6 address, and an optional port: nothing a URL parser could read differently.
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
  const name = m?.[1]?.toLowerCase() ?? "";
  const bare = name.startsWith("[") ? name.slice(1, -1) : name;
  // IP literals cannot be rebound to another address; names other than localhost (and the one the user bound to) can.
  const local = bare === "localhost" || isIP(bare) !== 0 || bare === boundHost.toLowerCase();
  if (m === null || !local || (m[2] ?? "80") !== String(port)) {
    return { status: 403, message: `Host ${brief(host, 80)} is not this server; open it as http://127.0.0.1:${port}/` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host.toLowerCase()}`)
    return { status: 403, message: `cross-origin request from ${brief(origin, 80)} refused` };
  if (req.method !== "GET" && req.method !== "HEAD") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return { status: 415, message: "expected content-type: application/json" };
  }
  return null;
}

/** Listens on host:port (port 0: any free port) and resolves once bound; every request passes `requestProblem` first. */
export async function listen(handler: Handler, opts: { host?: string | undefined; port?: number | undefined } = {}): Promise<WebServer> {
  const host = opts.host ?? DEFAULT_HOST;
  let boundPort = -1;
  const server = createServer((req, res) => {
    const problem = requestProblem(req, host, boundPort);
    if (problem !== null) {
      sendText(res, problem.status, `${problem.message}\n`);
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve(handler(req, res, url)).catch((e: unknown) => {
      if (!res.headersSent) sendText(res, 500, `${(e as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new Error(`${host}:${opts.port} is in use; pass another --port (0: any free port)`) : e),
    );
    server.listen(opts.port ?? 0, host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  const port = (boundPort = (server.address() as AddressInfo).port);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
