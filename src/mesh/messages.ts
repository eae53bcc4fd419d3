/**
 * Every message tabmesh peers exchange: its schema, its one-byte type tag, and its size limit;
 * then which protocols and gossip topics carry which messages.
 *
 * A message on the wire is `[tag: u8][body]` where body is the schema's fields in order
 * (see codec.ts for field encodings). On a stream it is framed as `[length: u32 BE][tag][body]`;
 * in gossip the gossip message's data is `[tag][body]` with no length.
 *
 * Limits are per message type (`maxBytes`, tag included) and are checked twice: against the
 * declared frame length before a byte of the body is buffered, and by the strict decoder.
 *
 * @example
 * const bytes = encodeMessage('cancel', { jobId: 'ab'.repeat(32), reason: 'requester left' });
 * decodeMessage(bytes, ['cancel']); // → { type: 'cancel', msg: { jobId, reason } }
 */
import { Reader, decodeFrom, encode, schema, t, type Infer } from './codec.ts';
import { MessageDecodeError, MessageEncodeError, UnexpectedMessageError } from './errors.ts';

/** Blob chunk size: big enough to amortise a stream per chunk, small enough to bound memory per request. */
export const BLOB_CHUNK_BYTES = 256 * 1024;
/** Largest unit input or output carried in one message (8 MiB): units are slices of a batch. */
export const MAX_UNIT_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** Largest blob served over the mesh (a model file): 1 GiB. */
export const MAX_BLOB_BYTES = 1024 * 1024 * 1024;
/** Largest worker claim signature (opaque here; 65-byte secp256k1 plus room). */
export const MAX_CLAIM_BYTES = 1024;
/**
 * Ledger payloads travel as opaque bytes: src/ledger's own codec checks them (the mesh stays
 * ignorant of receipts). These bound them at the wire; a test checks the ledger's largest
 * messages fit.
 */
export const MAX_RECEIPT_BYTES = 512;
export const MAX_LEDGER_SYNC_REQUEST_BYTES = 96 * 1024;
export const MAX_LEDGER_SYNC_RESPONSE_BYTES = 64 * 1024;

const jobId = t.hash;
const label = (max: number) => t.str(max);

/** The message schemas. Field order is wire order: append new fields only in a new protocol version. */
export const SCHEMAS = {
  /** What a worker offers. Gossiped on `capabilities` and answered on `/tabmesh/capability`. */
  capability: schema({
    /** Adapter description (vendor, architecture, fallback or not). */
    adapter: label(256),
    /** Measured matmul throughput. */
    gflops: t.f64({ min: 0, max: 1e9 }),
    /** Units this worker would accept now. */
    freeSlots: t.u32({ max: 1024 }),
    /** Lowest price per unit it accepts, in token base units. */
    priceFloor: t.u64(),
    /** Where receipts for its work pay: its identity address, or the wallet it linked as payout address. */
    payout: t.address(),
    /** Model ids (sha-256 of the manifest) it already holds: schedulers prefer these. */
    models: t.list(t.hash(), 64),
    /**
     * The operator: the identity address its claims are signed with, whose on-chain stake makes
     * it eligible and is slashed for equivocation. Appended (last) so the older fields keep their offsets.
     */
    operator: t.address(),
  }),
  /** Ask a peer for its capability (empty body). */
  'capability-query': schema({}),
  /** A requester announces a job. Gossiped on `jobs`; also sent directly on `/tabmesh/job`. */
  'job-announce': schema({
    jobId: jobId(),
    /** sha-256 hex of the model manifest. */
    modelId: t.hash(),
    /** What to run, e.g. 'classify' (the jobs layer defines the values). */
    task: label(64),
    units: t.u32({ min: 1, max: 1_000_000 }),
    pricePerUnit: t.u64(),
    replication: t.u8({ min: 1, max: 16 }),
    /** Unix time in ms after which results are no longer paid. */
    deadline: t.uint(),
  }),
  /** A requester assigns one unit to a worker (request on `/tabmesh/unit-assign`). */
  'unit-assign': schema({
    jobId: jobId(),
    modelId: t.hash(),
    unitIndex: t.u32(),
    batch: t.u32({ min: 1, max: 65_536 }),
    input: t.bytes(MAX_UNIT_PAYLOAD_BYTES),
  }),
  /** A worker returns a unit's output (request on `/tabmesh/unit-result`). */
  'unit-result': schema({
    jobId: jobId(),
    unitIndex: t.u32(),
    output: t.bytes(MAX_UNIT_PAYLOAD_BYTES),
    /** sha-256 hex of `output`, as signed in the claim. */
    outputHash: t.hash(),
    /** The worker's signature over (job id, unit index, output hash); opaque to the mesh. */
    claim: t.bytes(MAX_CLAIM_BYTES),
  }),
  /** Generic answer to unit-assign / unit-result. */
  ack: schema({
    accepted: t.bool(),
    reason: label(256),
  }),
  /** Stop work on a job (one-way on `/tabmesh/cancel`; also gossiped on `jobs`). */
  cancel: schema({
    jobId: jobId(),
    reason: label(256),
  }),
  /** Ask for chunk `index` of the blob whose sha-256 is `hash`. */
  'blob-request': schema({
    hash: t.hash(),
    index: t.u32(),
  }),
  /** One chunk of a blob. `found: false` (with empty data) when the peer does not hold it. */
  'blob-chunk': schema({
    hash: t.hash(),
    index: t.u32(),
    found: t.bool(),
    /** Total blob size in bytes. */
    size: t.uint({ max: MAX_BLOB_BYTES }),
    data: t.bytes(BLOB_CHUNK_BYTES),
  }),
  /** A signed reward receipt (src/ledger codec): sent to its worker on `/tabmesh/receipt`, gossiped on `receipts`. */
  receipt: schema({
    data: t.bytes(MAX_RECEIPT_BYTES),
  }),
  /** Ledger catch-up request (src/ledger sync codec) on `/tabmesh/ledger-sync`. */
  'ledger-sync-request': schema({
    data: t.bytes(MAX_LEDGER_SYNC_REQUEST_BYTES),
  }),
  'ledger-sync-response': schema({
    data: t.bytes(MAX_LEDGER_SYNC_RESPONSE_BYTES),
  }),
  /** A handler failed: `code` is its error's `name`. Allowed as the response of any request. */
  error: schema({
    code: t.str(64, /^[A-Za-z][A-Za-z0-9_-]*$/),
    message: label(512),
  }),
} as const;

export type MessageType = keyof typeof SCHEMAS;
/** The JS shape of each message type. */
export type MessageOf<T extends MessageType> = Infer<(typeof SCHEMAS)[T]>;

/** Wire tags. Never reuse or renumber a tag: old peers would misread it. */
export const TAGS: Readonly<Record<MessageType, number>> = {
  capability: 1,
  'capability-query': 2,
  'job-announce': 3,
  'unit-assign': 4,
  'unit-result': 5,
  ack: 6,
  cancel: 7,
  'blob-request': 8,
  'blob-chunk': 9,
  error: 10,
  receipt: 11,
  'ledger-sync-request': 12,
  'ledger-sync-response': 13,
};
const BY_TAG = new Map<number, MessageType>(Object.entries(TAGS).map(([k, v]) => [v, k as MessageType]));

/** Largest encoded size (tag included) of each message type: the per-type limit enforced on receipt. */
export const MAX_MESSAGE_BYTES: Readonly<Record<MessageType, number>> = Object.fromEntries(
  (Object.keys(SCHEMAS) as MessageType[]).map((k) => [k, 1 + SCHEMAS[k].maxBytes]),
) as Record<MessageType, number>;

/** A decoded message with its type, as a discriminated union. */
export type AnyMessage = { [K in MessageType]: { type: K; msg: MessageOf<K> } }[MessageType];

/** Encodes one message as `[tag][body]`; throws MessageEncodeError naming the field. */
export function encodeMessage<T extends MessageType>(type: T, msg: MessageOf<T>): Uint8Array {
  const s = SCHEMAS[type];
  if (!s) throw new MessageEncodeError('type', `is not a message type: ${String(type)}`);
  return encode(s, msg, type, TAGS[type]);
}

/**
 * Decodes `[tag][body]`, accepting only the listed types. Throws UnexpectedMessageError for a
 * known type not in `allowed`, MessageDecodeError for anything malformed.
 */
export function decodeMessage(bytes: Uint8Array, allowed: readonly MessageType[]): AnyMessage {
  if (bytes.byteLength === 0) throw new MessageDecodeError('message', 'is empty');
  const r = new Reader(bytes);
  const tag = r.u8('message.tag');
  const type = BY_TAG.get(tag);
  if (!type) throw new MessageDecodeError('message.tag', `is ${tag}, not a known message type`);
  if (!allowed.includes(type)) throw new UnexpectedMessageError(`a '${type}' message is not expected here (expected ${allowed.join(' | ')})`);
  if (bytes.byteLength > MAX_MESSAGE_BYTES[type]) throw new MessageDecodeError(type, `is ${bytes.byteLength} bytes, more than its limit ${MAX_MESSAGE_BYTES[type]}`);
  return { type, msg: decodeFrom(SCHEMAS[type], r, type) } as AnyMessage;
}

/**
 * The stream protocols. `request` is what the dialer sends; `response` what the handler answers,
 * or null for one-way protocols (the dialer sends one message and closes).
 */
export const PROTOCOLS = {
  capability: { id: '/tabmesh/capability/1.0.0', request: 'capability-query', response: 'capability', maxInboundStreams: 16 },
  job: { id: '/tabmesh/job/1.0.0', request: 'job-announce', response: null, maxInboundStreams: 16 },
  'unit-assign': { id: '/tabmesh/unit-assign/1.0.0', request: 'unit-assign', response: 'ack', maxInboundStreams: 16 },
  'unit-result': { id: '/tabmesh/unit-result/1.0.0', request: 'unit-result', response: 'ack', maxInboundStreams: 16 },
  cancel: { id: '/tabmesh/cancel/1.0.0', request: 'cancel', response: null, maxInboundStreams: 16 },
  blob: { id: '/tabmesh/blob/1.0.0', request: 'blob-request', response: 'blob-chunk', maxInboundStreams: 64 },
  receipt: { id: '/tabmesh/receipt/1.0.0', request: 'receipt', response: 'ack', maxInboundStreams: 32 },
  'ledger-sync': { id: '/tabmesh/ledger-sync/1.0.0', request: 'ledger-sync-request', response: 'ledger-sync-response', maxInboundStreams: 8 },
} as const satisfies Record<string, { id: string; request: MessageType; response: MessageType | null; maxInboundStreams: number }>;

export type ProtocolName = keyof typeof PROTOCOLS;
/** Protocols that answer. */
export type RequestProtocol = { [P in ProtocolName]: (typeof PROTOCOLS)[P]['response'] extends null ? never : P }[ProtocolName];
/** Protocols that do not answer. */
export type OneWayProtocol = Exclude<ProtocolName, RequestProtocol>;
export type RequestOf<P extends ProtocolName> = MessageOf<(typeof PROTOCOLS)[P]['request']>;
export type ResponseOf<P extends ProtocolName> = (typeof PROTOCOLS)[P]['response'] extends infer R extends MessageType ? MessageOf<R> : void;

/** The gossip topics and the message types each carries. Topic strings are versioned like protocols. */
export const TOPICS = {
  jobs: { id: 'tabmesh/jobs/1', types: ['job-announce', 'cancel'] },
  capabilities: { id: 'tabmesh/capabilities/1', types: ['capability'] },
  receipts: { id: 'tabmesh/receipts/1', types: ['receipt'] },
} as const satisfies Record<string, { id: string; types: readonly MessageType[] }>;

export type TopicName = keyof typeof TOPICS;
export type TopicMessage<T extends TopicName> = { [K in (typeof TOPICS)[T]['types'][number]]: { type: K; msg: MessageOf<K> } }[(typeof TOPICS)[T]['types'][number]];

/** The pubsub-peer-discovery topic (tabs announce their addresses on it). */
export const DISCOVERY_TOPIC = 'tabmesh._peer-discovery._p2p._pubsub';

/** Every topic string a relay must subscribe to in order to forward it. */
export const ALL_TOPIC_IDS: readonly string[] = [...Object.values(TOPICS).map((x) => x.id), DISCOVERY_TOPIC];

/** Gossip payloads are small (no bulk data on gossip): the largest topic message type bounds them. */
export const MAX_GOSSIP_BYTES = Math.max(...Object.values(TOPICS).flatMap((x) => x.types.map((ty) => MAX_MESSAGE_BYTES[ty])));
