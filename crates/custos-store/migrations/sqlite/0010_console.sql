-- The console's people: users who sign in (not API keys), their sessions and failed sign-ins.
-- A user's second factor (a TOTP secret) is wrapped under the keyring's KEK, as data keys are;
-- a password is kept only as an argon2id hash; a session only as the SHA-256 of its token.
-- A change of role, password or factor (`changed_at`) ends every session begun before it.
CREATE TABLE console_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    kek_id TEXT,
    wrapped BLOB,
    totp_last_step BIGINT,
    created_at BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES console_users(id),
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);
CREATE TABLE console_login_failures (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX console_login_failures_email ON console_login_failures(email, at);
CREATE INDEX console_login_failures_address ON console_login_failures(address, at);
-- A reviewer's claim on a queue item (an account, a screening case), so that two people do not
-- work it at once; a claim older than a working day lapses.
CREATE TABLE console_claims (
    item TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    at BIGINT NOT NULL
);
