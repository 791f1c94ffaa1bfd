"""Who is told at each step of a department's escalation ladder (docs/governance.md): the
city admin keeps the addresses over `/v1/escalation-contacts`; the delivery engine reads them
at send time (`escalation:<DEPT>:<step>` recipients)."""
