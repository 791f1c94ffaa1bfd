-- Whether staff mail to `recipient` has nowhere to go: a department (`department:<CODE>:…`) or
-- a field officer (`officer:<CODE>:<username>`) without any address on file. The consumer
-- records such a delivery `undeliverable` at once instead of having it claimed and settled.
-- plpgsql (never inlined) so the planner costs it as one cheap call per planned delivery and
-- keeps reusing the generic plan of the consumer's statement instead of re-planning it for
-- every event.
CREATE FUNCTION staff_mail_unreachable(recipient text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF starts_with(recipient, 'department:') THEN
        RETURN NOT EXISTS (
            SELECT 1 FROM department_contacts c
            WHERE c.department = split_part(recipient, ':', 2) AND cardinality(c.emails) > 0);
    ELSIF starts_with(recipient, 'officer:') THEN
        RETURN NOT EXISTS (
            SELECT 1 FROM officer_contacts o
            WHERE o.department = split_part(recipient, ':', 2) AND o.username = split_part(recipient, ':', 3)
              AND cardinality(o.emails) > 0);
    END IF;
    RETURN false;
END
$$;
