/** A statement's failure as PostgreSQL reports it: SQLSTATE and message. */
export class SqlFault extends Error {
  override name = "SqlFault";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const unsupportedCode = "0A000";

export function unsupported(text: string, why: string): SqlFault {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const shown = oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
  return new SqlFault(
    unsupportedCode,
    `instant clusters cannot run "${shown}" (${why}); use clusters: "postgres" for this`,
  );
}
