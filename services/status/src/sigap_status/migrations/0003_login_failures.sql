-- Failed staff logins per username and per client address, shared by every replica: a fixed
-- window opened by the first failure; past the limit, attempts wait until the window closes.
CREATE TABLE login_failures (
    scope         text        NOT NULL CHECK (scope IN ('username', 'ip')),
    subject       text        NOT NULL,
    failures      integer     NOT NULL,
    window_start  timestamptz NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX login_failures_window_idx ON login_failures (window_start);
