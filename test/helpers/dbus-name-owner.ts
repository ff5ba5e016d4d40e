/**
 * A minimal D-Bus client for tests, in plain Node over the bus's unix socket: it can own a
 * well-known name and emit a signal with no arguments from it, which `gdbus emit` and `dbus-send`
 * cannot (they never own a name). Enough of the wire protocol for that and nothing more:
 *   - SASL `AUTH EXTERNAL` with the process's uid, then `BEGIN`;
 *   - little-endian method calls (`Hello`, `RequestName`, `GetId`) and signals, bodies of type
 *     string and uint32 only;
 *   - replies read as far as their REPLY_SERIAL, ERROR_NAME and a body of one 's' or 'u'.
 * No unix fds, no other body types, no incoming method calls.
 */
import { connect, type Socket } from 'node:net';

/** A signal with no arguments. */
export interface BusSignal {
  path: string;
  interface: string;
  member: string;
}

/** The first `unix:path=` or `unix:abstract=` of a D-Bus address, as a `net.connect` path. */
export function unixSocketPath(address: string): string {
  for (const entry of address.split(';')) {
    const [transport, params = ''] = splitOnce(entry, ':');
    if (transport !== 'unix') continue;
    for (const pair of params.split(',')) {
      const [key, value = ''] = splitOnce(pair, '=');
      // Values are %-escaped byte by byte.
      if (key === 'path') return decodeURIComponent(value);
      // An abstract socket in Node is a path that starts with a NUL byte.
      if (key === 'abstract') return `\0${decodeURIComponent(value)}`;
    }
  }
  throw new Error(`no unix:path= or unix:abstract= in the D-Bus address ${address}`);
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

// Message types and header field codes of the D-Bus specification.
const METHOD_CALL = 1;
const METHOD_RETURN = 2;
const ERROR = 3;
const SIGNAL = 4;
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, signature: 8 } as const;
const REQUEST_NAME_PRIMARY_OWNER = 1;

/** Appends little-endian D-Bus values to a growing buffer, padding each to its alignment. */
class Writer {
  private bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  align(boundary: number): this {
    while (this.bytes.length % boundary) this.bytes.push(0);
    return this;
  }

  byte(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }

  uint32(value: number): this {
    this.align(4);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    this.bytes.push(...buffer);
    return this;
  }

  /** Types 's' and 'o': uint32 length, the UTF-8 bytes, a NUL. */
  string(value: string): this {
    const utf8 = Buffer.from(value, 'utf8');
    this.uint32(utf8.length);
    this.bytes.push(...utf8, 0);
    return this;
  }

  /** Type 'g': one length byte, the characters, a NUL. */
  signature(value: string): this {
    this.byte(value.length);
    this.bytes.push(...Buffer.from(value, 'ascii'), 0);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

interface Outgoing {
  type: typeof METHOD_CALL | typeof SIGNAL;
  serial: number;
  path: string;
  interface: string;
  member: string;
  destination?: string;
  /** Body signature ('', 's', 'su'), with the values in order. */
  signature?: string;
  body?: (string | number)[];
}

/** One whole message: the 16-byte fixed header, the header fields, padding to 8, the body. */
function marshal(message: Outgoing): Buffer {
  const signature = message.signature ?? '';
  const body = new Writer();
  (message.body ?? []).forEach((value, index) => {
    if (signature[index] === 's') body.string(String(value));
    else if (signature[index] === 'u') body.uint32(Number(value));
    else throw new Error(`body type ${signature[index]} is not supported`);
  });

  // Header fields: an array of (BYTE code, VARIANT value); every struct starts on 8 bytes.
  const fields = new Writer();
  const field = (code: number, type: 'o' | 's' | 'g', value: string): void => {
    fields.align(8).byte(code).signature(type);
    if (type === 'g') fields.signature(value);
    else fields.string(value);
  };
  field(FIELD.path, 'o', message.path);
  field(FIELD.interface, 's', message.interface);
  field(FIELD.member, 's', message.member);
  if (message.destination) field(FIELD.destination, 's', message.destination);
  if (signature) field(FIELD.signature, 'g', signature);

  const header = new Writer()
    .byte('l'.charCodeAt(0)) // little endian
    .byte(message.type)
    .byte(0) // flags
    .byte(1) // protocol version
    .uint32(body.length)
    .uint32(message.serial)
    .uint32(fields.length) // the array's length in bytes; its first struct is already at offset 16
    .toBuffer();
  const padding = Buffer.alloc((8 - ((header.length + fields.length) % 8)) % 8);
  return Buffer.concat([header, fields.toBuffer(), padding, body.toBuffer()]);
}

interface Incoming {
  type: number;
  replySerial?: number;
  errorName?: string;
  /** A body of one string or one uint32; anything else is left unread. */
  value?: string | number;
}

/** The first whole message in `data` and its length, or undefined until all of it has arrived. */
function unmarshal(data: Buffer): { message: Incoming; length: number } | undefined {
  if (data.length < 16) return undefined;
  const little = data[0] === 'l'.charCodeAt(0);
  const u32 = (at: number): number => (little ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const bodyLength = u32(4);
  const fieldsEnd = 16 + u32(12);
  const bodyStart = fieldsEnd + ((8 - (fieldsEnd % 8)) % 8);
  if (data.length < bodyStart + bodyLength) return undefined;

  const message: Incoming = { type: data[1]! };
  const readString = (at: number): string => data.toString('utf8', at + 4, at + 4 + u32(at));
  const align = (at: number, boundary: number): number => at + ((boundary - (at % boundary)) % boundary);
  let signature = '';
  let at = 16;
  while (at < fieldsEnd) {
    at = align(at, 8);
    const code = data[at]!;
    const typeLength = data[at + 1]!;
    const type = data.toString('ascii', at + 2, at + 2 + typeLength);
    at += 2 + typeLength + 1;
    if (type === 'g') {
      const value = data.toString('ascii', at + 1, at + 1 + data[at]!);
      if (code === FIELD.signature) signature = value;
      at += 1 + data[at]! + 1;
    } else if (type === 'u') {
      at = align(at, 4);
      if (code === FIELD.replySerial) message.replySerial = u32(at);
      at += 4;
    } else if (type === 's' || type === 'o') {
      at = align(at, 4);
      if (code === FIELD.errorName) message.errorName = readString(at);
      at += 4 + u32(at) + 1;
    } else {
      throw new Error(`header field type ${type} is not supported`);
    }
  }
  if (signature.startsWith('s')) message.value = readString(bodyStart);
  else if (signature === 'u') message.value = u32(bodyStart);
  return { message, length: bodyStart + bodyLength };
}

/** One connection to a bus, after authentication and `Hello`. */
export class TestBusConnection {
  private serial = 0;
  private data = Buffer.alloc(0);
  private readonly waiting = new Map<number, (message: Incoming) => void>();
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    /** The bus's name for this connection, e.g. `:1.7`. */
    public uniqueName = '',
  ) {}

  /** Connects to the bus at `address` (a D-Bus address such as `unix:path=/tmp/dbus-XXXX,guid=...`). */
  static async open(address: string): Promise<TestBusConnection> {
    const socket = connect(unixSocketPath(address));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await authenticate(socket);
    const connection = new TestBusConnection(socket);
    socket.on('data', (chunk: Buffer) => connection.received(chunk));
    socket.on('error', (error) => connection.fail(error));
    socket.on('close', () => connection.fail(new Error('the bus closed the connection')));
    connection.uniqueName = String(await connection.callBus('Hello'));
    return connection;
  }

  /** Owns `name`; fails unless the bus makes this connection its primary owner. */
  async requestName(name: string): Promise<void> {
    const result = await this.callBus('RequestName', 'su', [name, 0]);
    if (result !== REQUEST_NAME_PRIMARY_OWNER) throw new Error(`RequestName(${name}) returned ${String(result)}, not 1 (primary owner)`);
  }

  /**
   * Emits a signal with no arguments, then waits for a reply from the bus: the bus handles one
   * connection's messages in order, so by then it has passed the signal on to every recipient.
   */
  async emit(signal: BusSignal): Promise<void> {
    this.socket.write(marshal({ type: SIGNAL, serial: ++this.serial, ...signal }));
    await this.callBus('GetId');
  }

  close(): void {
    this.socket.destroy();
  }

  /** A method of the bus itself (`org.freedesktop.DBus`); resolves with its reply's one value. */
  private callBus(member: string, signature = '', body: (string | number)[] = []): Promise<string | number | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    const serial = ++this.serial;
    const reply = new Promise<Incoming>((resolve) => this.waiting.set(serial, resolve));
    this.socket.write(
      marshal({
        type: METHOD_CALL,
        serial,
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member,
        destination: 'org.freedesktop.DBus',
        signature,
        body,
      }),
    );
    return reply.then((message) => {
      if (message.type === ERROR) throw new Error(`${member}: ${message.errorName ?? 'error'} ${String(message.value ?? '')}`);
      if (message.type !== METHOD_RETURN) throw new Error(`${member}: unexpected reply type ${message.type}`);
      return message.value;
    });
  }

  private received(chunk: Buffer): void {
    this.data = Buffer.concat([this.data, chunk]);
    for (let next = unmarshal(this.data); next; next = unmarshal(this.data)) {
      this.data = this.data.subarray(next.length);
      // Signals (NameAcquired and the like) carry no REPLY_SERIAL and are dropped here.
      const resolve = next.message.replySerial === undefined ? undefined : this.waiting.get(next.message.replySerial);
      if (resolve) {
        this.waiting.delete(next.message.replySerial!);
        resolve(next.message);
      }
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const resolve of pending) resolve({ type: ERROR, errorName: error.message });
  }
}

/** SASL before the binary protocol: a NUL byte, `AUTH EXTERNAL <uid as hex of its decimal digits>`, `OK`, `BEGIN`. */
async function authenticate(socket: Socket): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) throw new Error('AUTH EXTERNAL needs a uid (POSIX only)');
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('ascii');
      if (!text.includes('\r\n')) return;
      socket.off('data', onData);
      resolve(text.trim());
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(String(uid), 'ascii').toString('hex')}\r\n`)]));
  const line = await answer;
  if (!line.startsWith('OK ')) throw new Error(`the bus refused AUTH EXTERNAL: ${line}`);
  socket.write('BEGIN\r\n');
}
