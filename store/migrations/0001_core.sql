-- 0001: the core schema: install metadata, data keys, the token vault,
-- the audit log and API keys. Times are Unix milliseconds, UTC.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- Data keys (vault encryption, blind index, audit value hashes, checkpoint
-- signing), each wrapped by the key provider's KEK. The newest version of
-- a purpose is the one in use; older versions stay until re-encryption has
-- moved every row off them, and are then deleted.
CREATE TABLE data_keys (
	purpose    TEXT    NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	wrapped    TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (purpose, version)
) STRICT;

-- The token vault. A live row has a blind index and ciphertext; an erased
-- row keeps only its code, kind and times (a tombstone), so the code
-- answers "erased" forever and its value can be tokenized afresh.
--
-- Rows are appended in rowid order. The two lookups go through small
-- indexes: code_key (the first 64 of the code's 128 random bits) and blind
-- (128 bits of the HMAC, whose input already holds the kind and whose key
-- is the index-key version). Codes and blind indexes are random, so every
-- new value lands at a random place in both; small entries keep those
-- B-trees, and the pages each commit dirties, few.
CREATE TABLE tokens (
	id            INTEGER PRIMARY KEY,
	code_key      INTEGER NOT NULL,
	code          TEXT    NOT NULL,
	kind          INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),
	index_version INTEGER,
	blind         BLOB,
	key_version   INTEGER,
	ciphertext    BLOB,
	created_at    INTEGER NOT NULL,
	erased_at     INTEGER,
	CHECK ((erased_at IS NULL) = (ciphertext IS NOT NULL)),
	CHECK ((blind IS NULL) = (ciphertext IS NULL))
) STRICT;
-- Unique: a 64-bit collision between two codes makes the insert draw a
-- new code.
CREATE UNIQUE INDEX tokens_code ON tokens (code_key);
CREATE UNIQUE INDEX tokens_blind ON tokens (blind) WHERE blind IS NOT NULL;

-- The audit log: one row per entry, seq = leaf index from 0. body is the
-- entry's canonical JSON; hashes holds the RFC 6962 tree hashes this leaf
-- completes, in golang.org/x/mod/sumdb/tlog's stored-hash layout.
CREATE TABLE audit_entries (
	seq    INTEGER PRIMARY KEY CHECK (seq >= 0),
	body   BLOB    NOT NULL,
	hashes BLOB    NOT NULL
) STRICT;

-- Signed checkpoints (C2SP tlog-checkpoint in signed-note form).
CREATE TABLE audit_checkpoints (
	size       INTEGER PRIMARY KEY CHECK (size > 0),
	note       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- API keys: the secret is shown once at creation; only its SHA-256 is
-- stored (the secret is 256 random bits, so a fast hash is enough).
CREATE TABLE api_keys (
	id           TEXT    PRIMARY KEY,
	name         TEXT    NOT NULL,
	secret_hash  BLOB    NOT NULL UNIQUE,
	scopes       TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT    NOT NULL,
	revoked_at   INTEGER,
	last_used_at INTEGER
) STRICT;
