-- 0010_auth_audit.sql -- identity, sessions and the audit trail (issue 7).
--
-- auth_user: one row per person who logs in. pw_hash is an argon2id string
-- (auth/credential.h); roles is a space-separated set of role codes (auth/policy.h);
-- practitioner / patient / organization link the user to the records the policy reasons
-- over. must_change: the password was set by someone else (first start, reset) and should be
-- changed. failed / locked_until: consecutive failed logins and the lock they caused.
CREATE TABLE auth_user (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    pw_hash       TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '',
    practitioner  TEXT,
    patient       TEXT,
    organization  TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    must_change   INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL
);

-- auth_token: login sessions and API tokens, kept only as the BLAKE2b-256 digest of the
-- token (a copy of this table lets nobody in). kind 'session' | 'api'; scope limits an API
-- token to reading ('read') or leaves it the user's full rights (''); revoked is the time
-- it was revoked (0 = live).
CREATE TABLE auth_token (
    digest   TEXT PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES auth_user (id),
    kind     TEXT NOT NULL,
    label    TEXT NOT NULL DEFAULT '',
    scope    TEXT NOT NULL DEFAULT '',
    created  INTEGER NOT NULL,
    expires  INTEGER NOT NULL,
    revoked  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX auth_token_user ON auth_token (user_id);

-- audit: append-only AuditEvents, numbered from 1 without gaps. hash is the BLAKE2b-256 of
-- the previous event's hash, this seq and this body (core/hash.h yl_chain_hash), so a
-- changed, removed, inserted or reordered event breaks the chain at that event
-- (`yilian audit verify`). patient: the resident whose record the event is about (what a
-- resident's own access log lists); agent: the username.
CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY,
    recorded INTEGER NOT NULL,
    patient  TEXT,
    agent    TEXT,
    body     TEXT NOT NULL,
    hash     TEXT NOT NULL
);
CREATE INDEX audit_patient ON audit (patient, seq) WHERE patient IS NOT NULL;
-- yilian itself never changes or removes an event; someone with the file can, and the
-- chain shows it
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

-- auth_grant: break-the-glass access, and a supervisor's drill-down with a stated purpose:
-- one user may see one resident's record until `expires`, for `reason`; every access under
-- it is flagged in the audit trail for review.
CREATE TABLE auth_grant (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES auth_user (id),
    patient  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    created  INTEGER NOT NULL,
    expires  INTEGER NOT NULL
);
CREATE INDEX auth_grant_user ON auth_grant (user_id, expires);
