import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** Hex digest of a file, streamed (datasets are gigabytes). */
export async function hashFile(path: string, algorithm: "md5" | "sha256" = "md5"): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export class ChecksumError extends Error {
  override readonly name = "ChecksumError";
  constructor(
    readonly file: string,
    readonly url: string,
    readonly expected: string,
    readonly actual: string,
    /** set when the server sent a web page instead of the file: where to get it by hand */
    webPageFrom?: string,
  ) {
    super(
      `checksum mismatch for ${file} (from ${url}): expected md5 ${expected}, got ${actual}. ` +
        (webPageFrom
          ? `The server sent a web page instead of the file (it may want a browser): download it by hand from ` +
            `${webPageFrom} and save it as ${file}, then run the command again.`
          : "The damaged download was removed; run the command again to fetch it afresh."),
    );
  }
}
