/** Server-sent events over node:http: headers, framing, keep-alive comments. */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface SseStream {
  /** Sends one event; `data` is JSON-encoded. Returns false once the client has gone. */
  send(event: string, data: unknown): boolean;
  readonly closed: boolean;
  /** Bytes written but not yet taken by the client (skip frames when this grows). */
  readonly backlog: number;
  onClose(fn: () => void): void;
  close(): void;
}

/** Formats one SSE message (JSON has no raw newlines, so one `data:` line suffices). */
export function sseMessage(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function openSse(req: IncomingMessage, res: ServerResponse, keepAliveMs = 15_000): SseStream {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write("retry: 2000\n\n");
  let closed = false;
  const closers: Array<() => void> = [];
  const ping = setInterval(() => res.write(": ping\n\n"), keepAliveMs);
  ping.unref?.();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    for (const fn of closers) fn();
  };
  req.on("close", finish);
  res.on("close", finish);
  return {
    send(event, data) {
      if (closed) return false;
      res.write(sseMessage(event, data));
      return true;
    },
    get closed() {
      return closed;
    },
    get backlog() {
      return res.writableLength;
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
    close() {
      finish();
      res.end();
    },
  };
}
