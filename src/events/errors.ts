/**
 * The typed error every decoder throws on bad input: it names the file, the byte offset and what was expected.
 */
export class EventFormatError extends Error {
  override readonly name = "EventFormatError";
  constructor(
    /** the file (or a label such as "<buffer>") */
    readonly file: string,
    /** byte offset in the file where the problem was found, or -1 when it is not about one place */
    readonly offset: number,
    /** what was expected and what was found */
    readonly detail: string,
  ) {
    super(`${file}${offset >= 0 ? ` at byte ${offset}` : ""}: ${detail}`);
  }
}
