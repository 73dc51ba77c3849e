// C1 as a WebSocket: the uWS behavior that hands each client event to its tunnel.
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocketBehavior } from 'uWebSockets.js'
import { MAX_MESSAGE, type TunnelData } from './websocket-tunnel.js'

/** uWS.DISABLED: exported by the binding, spelled here to keep this file free of the module. */
const NO_COMPRESSION = 0

/** The behavior of the '/*' WebSocket route; `upgrade` opens C2 and upgrades C1 once it is accepted. */
export function c1WebSocketBehavior(
  upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void,
): WebSocketBehavior<TunnelData> {
  return {
    // messages are relayed whole, so this bounds what one message costs (uWS default: 16 KiB)
    maxPayloadLength: MAX_MESSAGE,
    // 0 means never drop a message for backpressure (uWS default: drop above 64 KiB); the tunnel pauses the backend instead
    maxBackpressure: 0,
    // permessage-deflate is negotiated per hop; uncompressed both ways, nothing is inflated twice
    compression: NO_COMPRESSION,
    upgrade,
    open: (ws) => ws.getUserData().tunnel.clientOpened(ws),
    message: (ws, message, isBinary) => ws.getUserData().tunnel.fromClient(message, isBinary),
    drain: (ws) => ws.getUserData().tunnel.clientDrained(ws),
    ping: (ws, message) => ws.getUserData().tunnel.clientPing(message),
    close: (ws, code, message) => ws.getUserData().tunnel.clientClosed(code, message),
  }
}
