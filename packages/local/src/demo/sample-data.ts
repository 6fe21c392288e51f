import type { DbSession } from "@aurora-restore/core/ports/index";

/**
 * The demo's "production" data: a small shop. `customers` holds personal data (names, emails) that the
 * plan's post-restore SQL masks; `products` and `orders` are copied as they are. Generated in SQL with
 * generate_series, deterministic for a given row count.
 */
export const demoDatabase = "shop";

export const sampleSchemaSql = [
  `CREATE TABLE IF NOT EXISTS public.customers (
     id integer PRIMARY KEY,
     full_name text NOT NULL,
     email text NOT NULL UNIQUE,
     country text NOT NULL,
     created_at timestamptz NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS public.products (
     id integer PRIMARY KEY,
     sku text NOT NULL UNIQUE,
     name text NOT NULL,
     price_cents integer NOT NULL CHECK (price_cents > 0)
   )`,
  `CREATE TABLE IF NOT EXISTS public.orders (
     id integer PRIMARY KEY,
     customer_id integer NOT NULL REFERENCES public.customers (id),
     product_id integer NOT NULL REFERENCES public.products (id),
     quantity integer NOT NULL CHECK (quantity > 0),
     ordered_at timestamptz NOT NULL
   )`,
];

/** Rows per table for `--rows N` customers. */
export function sampleSizes(rows: number): { customers: number; products: number; orders: number } {
  return { customers: rows, products: Math.max(5, Math.ceil(rows / 10)), orders: rows * 3 };
}

/** Replaces the sample data with `rows` customers (and proportional products and orders), in one transaction. */
export async function seedSampleData(session: DbSession, rows: number): Promise<void> {
  if (!Number.isInteger(rows) || rows < 1 || rows > 1_000_000) {
    throw new Error(`--rows must be a whole number from 1 to 1000000 (got ${rows})`);
  }
  const sizes = sampleSizes(rows);
  await session.query("BEGIN");
  try {
    for (const statement of sampleSchemaSql) await session.query(statement);
    await session.query("TRUNCATE public.orders, public.customers, public.products");
    await session.query(
      `INSERT INTO public.customers (id, full_name, email, country, created_at)
       SELECT i,
              (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald','Katherine','Linus'])[1 + i % 8] || ' ' ||
              (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov','Knuth','Johnson','Torvalds'])[1 + (i / 8) % 8],
              'person' || i || '@mail.example.com',
              (ARRAY['FR','DE','IE','US','JP','BR'])[1 + i % 6],
              timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes'
       FROM generate_series(1, $1::int) AS i`,
      [sizes.customers],
    );
    await session.query(
      `INSERT INTO public.products (id, sku, name, price_cents)
       SELECT i, 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || i, 100 + (i * 7919) % 20000
       FROM generate_series(1, $1::int) AS i`,
      [sizes.products],
    );
    await session.query(
      `INSERT INTO public.orders (id, customer_id, product_id, quantity, ordered_at)
       SELECT i, 1 + (i * 31) % $2::int, 1 + (i * 17) % $3::int, 1 + i % 5,
              timestamptz '2024-06-01 00:00:00+00' + i * interval '11 minutes'
       FROM generate_series(1, $1::int) AS i`,
      [sizes.orders, sizes.customers, sizes.products],
    );
    await session.query("COMMIT");
  } catch (error) {
    await session.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** The plan's masking script: personal data replaced by values derived from the id only. */
export const maskingSql =
  "UPDATE public.customers SET full_name = 'Customer ' || id, email = 'customer-' || id || '@example.invalid'";

/** Columns the masking changes; everything else must be identical after a refresh. */
export const maskedColumns = { customers: ["full_name", "email"] } as const;

/**
 * Per-table checksums of the columns that are copied unchanged (md5 of the rows in primary-key order),
 * so a target can be compared with its source table by table.
 */
export const checksumSql: Record<string, string> = {
  customers:
    "SELECT count(*)::int AS rows, md5(coalesce(string_agg(concat_ws('|', id, country, created_at), ',' ORDER BY id), '')) AS checksum FROM public.customers",
  products:
    "SELECT count(*)::int AS rows, md5(coalesce(string_agg(p::text, ',' ORDER BY id), '')) AS checksum FROM public.products p",
  orders:
    "SELECT count(*)::int AS rows, md5(coalesce(string_agg(o::text, ',' ORDER BY id), '')) AS checksum FROM public.orders o",
};

export async function tableChecksums(
  session: DbSession,
): Promise<Record<string, { rows: number; checksum: string }>> {
  const result: Record<string, { rows: number; checksum: string }> = {};
  for (const [table, sql] of Object.entries(checksumSql)) {
    const { rows } = await session.query<{ rows: number; checksum: string }>(sql);
    result[table] = { rows: rows[0]?.rows ?? 0, checksum: rows[0]?.checksum ?? "" };
  }
  return result;
}
