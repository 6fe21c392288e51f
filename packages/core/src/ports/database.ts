/** Where and as whom to connect; TLS with the server certificate verified is not optional. */
export interface DbEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface DbSession {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number }>;
  /** Quotes an identifier with the driver's escaping (never concatenate identifiers). */
  escapeIdentifier(name: string): string;
  escapeLiteral(value: string): string;
  close(): Promise<void>;
}

/** Opens verified-TLS sessions to a cluster endpoint. Failures keep the PostgreSQL SQLSTATE in `code`. */
export interface DatabasePort {
  connect(endpoint: DbEndpoint): Promise<DbSession>;
}
