-- The city's data protection officer (UU 27/2022): a city-wide staff role that answers
-- personal-data requests (intake's privacy API, through status's /v1/privacy routes).
ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check
    CHECK (role IN ('city_admin', 'dept_admin', 'field_officer', 'auditor', 'dpo'));
