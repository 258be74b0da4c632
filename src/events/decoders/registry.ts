import { EventFormatError } from "../errors.js";
import { Atis40Decoder } from "./atis40.js";
import type { ChunkDecoder, DecoderOptions, EventFormat } from "./types.js";

/** A chunked decoder for `format`. SHD/SSC (HDF5) is not a byte stream: open it with openShd. */
export function createDecoder(format: EventFormat, opts: DecoderOptions = {}): ChunkDecoder {
  switch (format) {
    case "atis40":
      return new Atis40Decoder(opts);
    default:
      throw new EventFormatError(
        opts.fileName ?? "<buffer>",
        -1,
        format === "shd"
          ? "an HDF5 SHD/SSC file holds many samples: open it with openShd (Node) or openShdBytes (browser)"
          : `no decoder for format "${format}"`,
      );
  }
}
