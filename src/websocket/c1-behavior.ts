// C1 as a WebSocket: the uWS behavior that hands each client event to its tunnel.
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket as C1Socket, WebSocketBehavior } from 'uWebSockets.js'
import { MAX_MESSAGE, type TunnelData, type WebSocketTunnel } from './tunnel.js'

/** uWS.DISABLED: exported by the binding, spelled here to keep this file free of the module. */
const NO_COMPRESSION = 0

/** The behavior of the '/*' WebSocket route; `upgrade` opens C2 and upgrades C1 once it is accepted. */
export function c1WebSocketBehavior(
  upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void,
): WebSocketBehavior<TunnelData> {
  // each event goes through its tunnel's guard: a throw closes that tunnel, not the process
  const on = <A extends unknown[]>(event: (tunnel: WebSocketTunnel, ...args: A) => void) =>
    (ws: C1Socket<TunnelData>, ...args: A) => {
      const tunnel = ws.getUserData().tunnel
      tunnel.guard(() => event(tunnel, ...args))()
    }
  return {
    // messages are relayed whole, so this bounds what one message costs (uWS default: 16 KiB)
    maxPayloadLength: MAX_MESSAGE,
    // 0 means never drop a message for backpressure (uWS default: drop above 64 KiB); the tunnel pauses the backend instead
    maxBackpressure: 0,
    // permessage-deflate is negotiated per hop; uncompressed both ways, nothing is inflated twice
    compression: NO_COMPRESSION,
    upgrade,
    open: (ws) => on((tunnel) => tunnel.clientOpened(ws))(ws),
    message: on((tunnel, message: ArrayBuffer, isBinary: boolean) => tunnel.fromClient(message, isBinary)),
    drain: (ws) => on((tunnel) => tunnel.clientDrained(ws))(ws),
    ping: on((tunnel, message: ArrayBuffer) => tunnel.clientPing(message)),
    close: on((tunnel, code: number, message: ArrayBuffer) => tunnel.clientClosed(code, message)),
  }
}
