import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

/** The SDK 1.32.2 transport's own fields used here and in lean-post.ts (the version is pinned; the HTTP and conformance tests cover this path). */
export interface TransportInternals {
  _requestToStreamMapping: Map<RequestId, string>;
  _requestResponseMap: Map<RequestId, JSONRPCMessage>;
  _streamMapping: Map<string, { controller?: unknown; encoder?: unknown; replayedEventIds?: Set<string>; cleanup(): void }>;
  _resumableStreams: Set<string>;
  _eventStore?: { storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> };
  _enableJsonResponse: boolean;
  _closed: boolean;
  writeSSEEvent(controller: unknown, encoder: unknown, message: JSONRPCMessage, eventId?: string): boolean;
}

/**
 * Messages about one request go to that request's SSE stream the SDK's own way — stored for a
 * resume, written, and for the answer the stream ended and its entries released — minus two costs
 * that grow under load. The SDK's send() first asks zod whether the message is an answer: for a
 * notification both parses fail and build error reports. And for each answer it lists every
 * request in flight in the session to find the ones sharing its stream: with 1,000 calls in
 * flight on one session that was ~20 KB of garbage per answer (a tenth of all the server
 * allocated). Here a POST carries one request unless `batches()` says a batch came: then, and for
 * everything else (the GET stream, server requests, JSON mode), the SDK sends.
 */
export function sendDirectly(transport: WebStandardStreamableHTTPServerTransport, batches: () => boolean): void {
  const t = transport as unknown as TransportInternals;
  const sdkSend = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, options?: Parameters<typeof sdkSend>[1]): Promise<void> => {
    const answer = 'id' in message && ('result' in message || 'error' in message) && !('method' in message);
    const note = 'method' in message && !('id' in message);
    const requestId = answer ? (message as { id: RequestId }).id : note ? options?.relatedRequestId : undefined;
    const streamId = requestId === undefined ? undefined : t._requestToStreamMapping.get(requestId);
    if (requestId === undefined || !streamId || !t._eventStore || t._enableJsonResponse || (answer && batches())) return sdkSend(message, options);
    const eventId = await t._eventStore.storeEvent(streamId, message);
    const stream = t._streamMapping.get(streamId); // after the await: a resume may have replaced it
    if (stream?.controller && stream.encoder && !stream.replayedEventIds?.has(eventId) && t.writeSSEEvent(stream.controller, stream.encoder, message, eventId)) {
      t._resumableStreams.add(streamId);
    }
    if (!answer) return;
    const release = (): void => {
      t._requestResponseMap.delete(requestId);
      t._requestToStreamMapping.delete(requestId);
    };
    if (!stream) {
      // Gone (closed, or the client left): a stored answer waits for a resume; else it is lost, as in the SDK.
      release();
      if (t._closed) return;
      if (t._resumableStreams.delete(streamId)) return;
      throw new Error(`No connection established for request ID: ${String(requestId)}`);
    }
    stream.cleanup();
    release();
    t._resumableStreams.delete(streamId);
  };
}

/** The SSE stream a request in flight answers on (the POST that carried it); undefined in JSON mode or once answered. */
export function requestStream(transport: WebStandardStreamableHTTPServerTransport, requestId: RequestId): string | undefined {
  return (transport as unknown as TransportInternals)._requestToStreamMapping.get(requestId);
}
