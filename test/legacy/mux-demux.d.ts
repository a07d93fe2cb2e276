/**
 * The slice of mux-demux 3.7.x (CommonJS, untyped) the simulated legacy agent uses: its streams are
 * old-style `through` streams, writable with any JSON value.
 */
declare module 'mux-demux' {
  namespace MuxDemux {
    interface SubStream extends NodeJS.ReadWriteStream {
      readonly id: string;
      readonly meta: unknown;
      /** Set while the peer has asked for a pause; `write` returns false meanwhile. */
      paused: boolean;
      destroy(): void;
    }
    interface Mux extends NodeJS.ReadWriteStream {
      createStream(
        meta: unknown,
        opts?: { allowHalfOpen?: boolean; writable?: boolean; readable?: boolean },
      ): SubStream;
      createReadStream(meta: unknown): SubStream;
      createWriteStream(meta: unknown): SubStream;
      destroy(): void;
    }
  }
  function MuxDemux(
    opts?: { error?: boolean },
    onConnection?: (stream: MuxDemux.SubStream) => void,
  ): MuxDemux.Mux;
  export = MuxDemux;
}
