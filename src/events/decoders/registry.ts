import { EventFormatError } from "../errors.js";
import { Aedat2Decoder } from "./aedat2.js";
import { Aedat3Decoder } from "./aedat3.js";
import { Aedat4Decoder } from "./aedat4.js";
import { Atis40Decoder } from "./atis40.js";
import { DatDecoder } from "./dat.js";
import { Evt2Decoder } from "./evt2.js";
import { Evt3Decoder } from "./evt3.js";
import { NpyDecoder } from "./npy.js";
import type { ChunkDecoder, DecoderOptions, EventFormat } from "./types.js";

/** A chunked decoder for `format`. SHD/SSC (HDF5) is not a byte stream: open it with openShd. */
export function createDecoder(format: EventFormat, opts: DecoderOptions = {}): ChunkDecoder {
  switch (format) {
    case "atis40":
      return new Atis40Decoder(opts);
    case "aedat2":
      return new Aedat2Decoder(opts);
    case "aedat3":
      return new Aedat3Decoder(opts);
    case "aedat4":
      return new Aedat4Decoder(opts);
    case "evt2":
      return new Evt2Decoder(opts);
    case "evt3":
      return new Evt3Decoder(opts);
    case "dat":
      return new DatDecoder(opts);
    case "npy":
      return new NpyDecoder(opts);
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
