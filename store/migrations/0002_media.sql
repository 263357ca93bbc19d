-- 0002: the media edge: trunks, calls (the CDR) and recordings. Times are
-- Unix milliseconds, UTC. No column holds a raw telephone number or name:
-- a party is a code, a dialled number is reduced to the scenario it routes
-- to, and secrets (digest passwords) are wrapped by the key provider.

-- Trunks to the customer's PBXs. settings is the trunk's JSON document
-- (media/trunk.Trunk without its secrets); the digest passwords are held
-- wrapped by the key provider (keys.Provider.Wrap) in their own columns.
CREATE TABLE trunks (
	id              TEXT    PRIMARY KEY,
	settings        TEXT    NOT NULL,
	inbound_secret  TEXT,
	outbound_secret TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

-- One row per call, inserted when the call starts and completed when it
-- ends. peer is the code of the other party (caller on inbound, callee on
-- outbound), NULL when the caller withheld the number.
CREATE TABLE calls (
	id          TEXT    PRIMARY KEY,
	trunk       TEXT    NOT NULL,
	direction   TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
	peer        TEXT,
	scenario    TEXT,
	started_at  INTEGER NOT NULL,
	answered_at INTEGER,
	ended_at    INTEGER,
	outcome     TEXT,
	sip_status  INTEGER,
	end_reason  TEXT,
	codec       TEXT,
	srtp_suite  TEXT
) STRICT;
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_peer ON calls (peer) WHERE peer IS NOT NULL;

-- Call recordings, encrypted at rest. The audio is in file (relative to
-- the recordings directory), sealed with a per-recording data key that the
-- key provider wraps (wrapped_key). Rows outlive their file only as a
-- tombstone (deleted_at set, wrapped_key emptied so that no copy of the
-- file decrypts again), so the audit trail of a deleted recording still
-- points at something. frames counts the 20 ms frames recorded, dropped
-- those lost because the disk fell behind; bytes is the PCM size.
CREATE TABLE recordings (
	id          TEXT    PRIMARY KEY,
	call_id     TEXT    NOT NULL,
	file        TEXT    NOT NULL,
	wrapped_key TEXT    NOT NULL,
	channels    INTEGER NOT NULL,
	sample_rate INTEGER NOT NULL,
	frames      INTEGER NOT NULL DEFAULT 0,
	dropped     INTEGER NOT NULL DEFAULT 0,
	bytes       INTEGER NOT NULL DEFAULT 0,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER,
	deleted_at  INTEGER,
	delete_reason TEXT
) STRICT;
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_started ON recordings (started_at) WHERE deleted_at IS NULL;
