"""Staff sessions: login with throttled failures, refresh-token rotation, who a token belongs
to (`router`, `commands`), the password and token rules (`rules`), and the `Staff` dependency
every staff route takes (`dependencies`)."""
