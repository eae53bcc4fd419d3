/**
 * tabmesh's network layer: import everything from here.
 *
 * @example
 * import { MeshNode } from '../mesh/index.ts';
 * const mesh = new MeshNode();           // relay from ?relay= or VITE_TABMESH_RELAY
 * await mesh.start();
 */
export { MeshNode } from './mesh-node.ts';
export type { MeshNodeOptions, Handler, HandlerContext, RequestOptions, RejectDetail, MeshEvents, MeshState } from './mesh-node.ts';
export { PeerBook } from './peer-book.ts';
export type { MeshPeer, PeerBookOptions, CapabilityChange } from './peer-book.ts';
export { configuredRelayAddrs, parseRelayAddrs, isDirectAddr, createMeshLibp2p } from './config.ts';
export type { MeshLibp2p, MeshLibp2pOptions } from './config.ts';
export type { DialStats } from './dialer.ts';
export { sha256Hex } from './blobs.ts';
export type { BlobSource, FetchBlobOptions } from './blobs.ts';
export {
  PROTOCOLS,
  TOPICS,
  TAGS,
  SCHEMAS,
  MAX_MESSAGE_BYTES,
  BLOB_CHUNK_BYTES,
  MAX_UNIT_PAYLOAD_BYTES,
  MAX_BLOB_BYTES,
  MAX_CLAIM_BYTES,
  DISCOVERY_TOPIC,
  ALL_TOPIC_IDS,
  encodeMessage,
  decodeMessage,
} from './messages.ts';
export type { MessageType, MessageOf, AnyMessage, ProtocolName, RequestProtocol, OneWayProtocol, RequestOf, ResponseOf, TopicName, TopicMessage } from './messages.ts';
export * from './errors.ts';
