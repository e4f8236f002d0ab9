// The Jupyter wire protocol (messaging spec 5.3): parse, verify, sign and send multipart messages.
// tslab's own message class is not exported, so the launcher keeps this small copy.
import { createHmac, randomUUID } from "node:crypto";

const DELIM = "<IDS|MSG>";
export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** Anything with a ZeroMQ-style `send(frames)`. */
export interface FrameSink {
  send(frames: (string | Buffer)[]): unknown;
}

export class JupyterMessage {
  constructor(
    readonly identities: Buffer[],
    readonly header: Header,
    readonly parent: Partial<Header>,
    readonly metadata: object,
    readonly content: object,
  ) {}

  get type(): string {
    return this.header.msg_type;
  }

  /** Parses `[ids..., <IDS|MSG>, hmac, header, parent, metadata, content, buffers...]`; throws on a bad signature. */
  static parse(key: string, frames: Buffer[]): JupyterMessage {
    const at = frames.findIndex((f) => f.toString() === DELIM);
    if (at < 0) throw new Error("jupyter message without the <IDS|MSG> delimiter");
    const [hmac, ...parts] = frames.slice(at + 1);
    if (key) {
      const want = sign(
        key,
        parts.slice(0, 4).map((p) => p.toString()),
      );
      if (want !== hmac.toString()) throw new Error(`jupyter message with a bad signature ${hmac.toString()}`);
    }
    const [header, parent, metadata, content] = parts.slice(0, 4).map((p) => JSON.parse(p.toString()));
    return new JupyterMessage(frames.slice(0, at), header, parent, metadata, content);
  }

  /** A new message whose parent is this one (replies and iopub output both use this). */
  child(msgType: string, content: object, metadata: object = {}): JupyterMessage {
    const header: Header = {
      msg_id: randomUUID(),
      session: this.header.session,
      username: this.header.username,
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    };
    return new JupyterMessage(this.identities, header, this.header, metadata, content);
  }

  /** Sends on a router socket (shell, control): the frames are addressed with the request's identities. */
  reply(key: string, sock: FrameSink): void {
    this.sendFrames(key, sock, this.identities);
  }

  /** Publishes on iopub under the conventional `kernel.<msg_type>` topic. */
  publish(key: string, sock: FrameSink): void {
    this.sendFrames(key, sock, [Buffer.from(`kernel.${this.type}`)]);
  }

  private sendFrames(key: string, sock: FrameSink, prefix: Buffer[]): void {
    const bodies = [this.header, this.parent, this.metadata, this.content].map((p) => JSON.stringify(p));
    sock.send([...prefix, DELIM, sign(key, bodies), ...bodies]);
  }
}

function sign(key: string, bodies: string[]): string {
  const h = createHmac("sha256", key);
  for (const b of bodies) h.update(b);
  return h.digest("hex");
}
