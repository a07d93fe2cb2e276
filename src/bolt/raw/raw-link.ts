/**
 * A bolt's link with no WebSocket layer: after the upgrade both sides write bolt frames straight onto
 * the TLS socket (docs/protocol.md, "Raw framing"). What ws did per message (a frame header, a
 * receiver state machine, assembling each message from the socket's reads into one buffer) is gone:
 * a read is cut into frames where it lies (`FrameSplitter`), and a batch is one socket write.
 */
import type { Socket } from 'node:net';
import type { OpenLink } from '../open-link.js';
import { encodeClose, type PeerClose } from './close-frame.js';
import { FrameSplitter } from './frame-splitter.js';

// The close waits this long for the peer to end its side before the socket is dropped (as ws-link).
const CLOSE_GRACE_MS = 2_000;
// A socket that ends without a close frame: WebSocket's "abnormal closure", so both framings agree.
const ABNORMAL_CLOSURE = 1006;

/** `head`: bytes the HTTP parser read past the upgrade, the first of the raw stream. */
export function rawLink(socket: Socket, head: Buffer): OpenLink {
  socket.setNoDelay(true);
  socket.setTimeout(0);
  // An error on one socket (a reset, a bad record) must never reach the process: the close follows.
  socket.on('error', () => {});
  let closeSent = false;
  const peer: { close?: PeerClose } = {};
  return {
    framing: 'raw',
    send(message, done) {
      if (closeSent || socket.destroyed || !socket.writable) return done(new Error('socket not open'));
      socket.write(message, (error) => done(error ?? undefined));
    },
    close(code, reason, force) {
      if (force || socket.destroyed) {
        socket.destroy();
        return;
      }
      if (!closeSent) {
        closeSent = true;
        socket.end(encodeClose(code, reason));
      }
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    },
    listen(listener) {
      const splitter = new FrameSplitter();
      const read = (chunk: Buffer) => {
        if (peer.close) return;
        listener.message(() => {
          const { frames, close } = splitter.push(chunk);
          if (close) peer.close = close;
          return frames;
        });
        // Set by the splitter inside the call above, which the compiler cannot see.
        const heard = peer.close as PeerClose | undefined;
        if (!heard) return;
        // The peer said why it is going: answer with the same close, as a WebSocket endpoint does.
        if (!closeSent) {
          closeSent = true;
          socket.end(encodeClose(heard.code, ''));
        }
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      };
      socket.once('close', () => {
        const heard = peer.close ?? { code: ABNORMAL_CLOSURE, reason: '' };
        listener.close(heard.code, heard.reason);
      });
      if (head.length > 0) read(head);
      socket.on('data', read);
      // The dialler pauses the socket until the session listens; nothing read is dropped meanwhile.
      if (socket.readableFlowing !== true) socket.resume();
    },
  };
}
