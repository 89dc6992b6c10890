// A stand-in transaction-mode pooler for the tests (what PgBouncer with
// pool_mode = transaction does to a client): a TCP proxy on 127.0.0.1, random port,
// in front of the test server, speaking just enough of the wire protocol.
//   - SSLRequest / GSSENCRequest: 'N'. The StartupMessage goes to a fresh upstream,
//     whose authentication is relayed; the client's PasswordMessage (the embedded
//     server asks for a cleartext password: initdb --auth=password) is kept.
//   - After every ReadyForQuery with status 'I' and no Sync still unanswered, the
//     client is detached from its backend: its next message goes to another one,
//     logged in by the proxy with the kept startup + password, whose startup
//     replies are swallowed.
//   mode 'fresh' (default): every transaction on a NEW backend (the old one is closed).
//   mode 'one-server': every transaction of every client on ONE shared backend
//     (PgBouncer's default_pool_size = 1 on a quiet database): the pid never changes
//     on a connection, only a second client sees that it is not its own session.
// Bounded: at most 64 clients, loopback only, everything unref'd so the test process
// exits with it, and close() ends every socket.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TransactionPooler {
  url: string;
  /** Backends the proxy has logged in so far (every one a real server connection). */
  backendsOpened(): number;
  /** The local ports of every backend connection it opened (pg_stat_activity.client_port). */
  backendPorts(): number[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103, GSS_REQUEST = 80877104, CANCEL_REQUEST = 80877102;

/** Splits a byte stream into PostgreSQL messages (type byte + int32 length). */
class Messages {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) break;
      out.push(this.buf.subarray(0, 1 + len));
      this.buf = this.buf.subarray(1 + len);
    }
    return out;
  }
}

interface Upstream {
  socket: Socket;
  onMessage: (m: Buffer) => void;
}

export async function startTransactionPooler(serverUrl: string, opts: { mode?: 'fresh' | 'one-server' } = {}): Promise<TransactionPooler> {
  const mode = opts.mode ?? 'fresh';
  const up = new URL(serverUrl);
  const upstreamHost = up.hostname, upstreamPort = Number(up.port || 5432);
  let opened = 0;
  const ports: number[] = [];
  const sockets = new Set<Socket>();
  let shared: { upstream: Upstream; busy: boolean; waiting: (() => void)[] } | undefined;

  function track(s: Socket) {
    s.unref();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  /** A logged-in backend: startup + captured password sent, replies up to ReadyForQuery swallowed. */
  function login(startup: Buffer, password: Buffer | undefined): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: upstreamHost, port: upstreamPort });
      track(socket);
      opened++;
      const upstream: Upstream = { socket, onMessage: () => {} };
      const messages = new Messages();
      let ready = false;
      socket.on('connect', () => { ports.push(socket.localPort!); socket.write(startup); });
      socket.on('data', chunk => {
        for (const m of messages.push(chunk)) {
          if (ready) { upstream.onMessage(m); continue; }
          const type = String.fromCharCode(m[0]);
          if (type === 'R' && m.readInt32BE(5) === 3) {
            if (!password) return reject(new Error('transaction pooler: no password captured'));
            socket.write(password);
          } else if (type === 'R' && m.readInt32BE(5) !== 0) {
            reject(new Error(`transaction pooler: authentication method ${m.readInt32BE(5)} cannot be replayed`));
          } else if (type === 'E') {
            reject(new Error('transaction pooler: upstream login failed'));
          } else if (type === 'Z') {
            ready = true;
            resolve(upstream);
          }
        }
      });
      socket.on('close', () => reject(new Error('transaction pooler: upstream closed during login')));
    });
  }

  function serve(client: Socket) {
    track(client);
    let startup: Buffer | undefined, password: Buffer | undefined;
    let current: Upstream | undefined;
    let attaching: Promise<Upstream> | undefined;
    let pending = 0;
    let head = Buffer.alloc(0);
    const fromClient = new Messages();
    let queue = Promise.resolve();

    const toClient = (m: Buffer) => { if (!client.destroyed) client.write(m); };
    const fail = (err: Error) => {
      // An ErrorResponse the client can show, then the connection ends.
      const text = Buffer.from(`SERROR\0C08006\0M${err.message}\0\0`);
      const e = Buffer.alloc(5); e.write('E'); e.writeInt32BE(4 + text.length, 1);
      toClient(Buffer.concat([e, text]));
      client.destroy();
    };

    function detach() {
      const u = current!;
      current = undefined;
      if (mode === 'fresh') {
        u.socket.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
      } else {
        u.onMessage = () => {};
        shared!.busy = false;
        shared!.waiting.shift()?.();
      }
    }

    function onUpstream(m: Buffer) {
      toClient(m);
      if (m[0] === 0x5a /* Z */) {
        pending = Math.max(0, pending - 1);
        if (pending === 0 && m[5] === 0x49 /* I */) detach();
      }
    }

    async function attach(): Promise<Upstream> {
      let u: Upstream;
      if (mode === 'fresh') {
        u = await login(startup!, password);
      } else {
        while (shared?.busy) await new Promise<void>(r => shared!.waiting.push(r));
        if (!shared) shared = { upstream: await login(startup!, password), busy: false, waiting: [] };
        shared.busy = true;
        u = shared.upstream;
      }
      u.onMessage = onUpstream;
      current = u;
      if (client.destroyed) detach();
      // The backend went away mid-transaction (terminated): so does the client.
      u.socket.once('close', () => { if (current === u) client.destroy(); });
      return u;
    }

    async function onClientMessage(m: Buffer) {
      const type = m[0];
      if (type === 0x58 /* X */) { client.end(); current && detach(); return; }
      if (!current) await (attaching ??= attach().finally(() => { attaching = undefined; }));
      if (type === 0x53 /* Sync */ || type === 0x51 /* Query */ || type === 0x46 /* FunctionCall */) pending++;
      current!.socket.write(m);
    }

    // The first upstream: authentication relayed as it is, the password kept.
    function relayLogin() {
      const socket = createConnection({ host: upstreamHost, port: upstreamPort });
      track(socket);
      opened++;
      const messages = new Messages();
      let done = false;
      socket.on('connect', () => { ports.push(socket.localPort!); socket.write(startup!); });
      socket.on('data', chunk => {
        for (const m of messages.push(chunk)) {
          if (done) continue;
          toClient(m);
          if (m[0] === 0x45 /* E */) client.end();
          if (m[0] === 0x5a /* Z */) {
            done = true;
            // Logged in: give the backend back at once, as a pooler does.
            socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
          }
        }
      });
      socket.on('close', () => { if (!done) client.destroy(); });
      loginSocket = socket;
    }
    let loginSocket: Socket | undefined;

    client.on('data', chunk => {
      if (!startup) {
        head = Buffer.concat([head, chunk]);
        while (!startup && head.length >= 8) {
          const len = head.readInt32BE(0);
          if (head.length < len) return;
          const code = head.readInt32BE(4);
          const msg = head.subarray(0, len);
          head = head.subarray(len);
          if (code === SSL_REQUEST || code === GSS_REQUEST) { client.write('N'); continue; }
          if (code === CANCEL_REQUEST) { client.destroy(); return; }
          startup = Buffer.from(msg);
          relayLogin();
        }
        if (!head.length) return;
        chunk = head;
        head = Buffer.alloc(0);
      }
      for (const m of fromClient.push(chunk)) {
        if (m[0] === 0x70 /* p */ && !password) {
          password = Buffer.from(m);
          loginSocket?.write(m);
          continue;
        }
        queue = queue.then(() => onClientMessage(m)).catch(fail);
      }
    });
    client.on('close', () => { if (current) detach(); });
  }

  const server: Server = createServer(serve);
  server.maxConnections = 64;
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    backendsOpened: () => opened,
    backendPorts: () => [...ports],
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>(r => server.close(() => r()));
    },
  };
}
