-- The database the guides' code blocks run in (test/docs/snippets-run.test.ts).
-- Run again before every block, so each block starts from the same state.
-- The tables are the ones the guides' examples name; keep them small.
DROP SCHEMA IF EXISTS public CASCADE;
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA public;
GRANT ALL ON SCHEMA public TO PUBLIC;

-- results.md, deferreds.md, testing.md: a job queue.
CREATE TABLE jobs (
  id serial PRIMARY KEY,
  payload text NOT NULL,
  created timestamptz NOT NULL DEFAULT now(),
  done boolean NOT NULL DEFAULT false,
  done_at timestamptz
);
INSERT INTO jobs (payload) VALUES ('send mail'), ('resize image'), ('bill customer');

-- results.md: expired sessions.
CREATE TABLE sessions (id serial PRIMARY KEY, expires timestamptz NOT NULL);
INSERT INTO sessions (expires) VALUES (now() - interval '1 day'), (now() + interval '1 day');

-- results.md: an empty table for a multi-statement query.
CREATE TABLE t (x int);

-- streaming.md: events of a day, a big table, items to COPY.
CREATE TABLE events (id serial PRIMARY KEY, day date NOT NULL, what text);
INSERT INTO events (day, what) VALUES ('2024-01-02', 'login'), ('2024-01-02', 'logout'), ('2024-01-03', 'login');
CREATE TABLE big (id int PRIMARY KEY, payload text);
INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 2000) AS i;
CREATE TABLE items (id int PRIMARY KEY, name text);

-- transactions.md, retries.md: accounts and transfers.
CREATE TABLE account (name text PRIMARY KEY, balance numeric NOT NULL);
INSERT INTO account VALUES ('alice', 100), ('bob', 50);
CREATE TABLE transfers (id text PRIMARY KEY, amount numeric NOT NULL);

-- types.md: a point column.
CREATE TABLE atable (apoint point);

-- replication.md: orders streamed by logical decoding, and the applied positions.
CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL, note text);
CREATE TABLE cdc_applied_lsn (slot text PRIMARY KEY, commit_lsn pg_lsn);

-- sql-composition.md: a schema-qualified table with a space in its name.
CREATE SCHEMA shop;
GRANT ALL ON SCHEMA shop TO PUBLIC;
CREATE TABLE shop."order items" (id int, qty int, note text);
INSERT INTO shop."order items" VALUES (1, 12, 'it''s'), (2, 3, 'small');
