-- Whether staff mail has somewhere to go is decided in the domain now (notify's
-- `unreachable_staff_mail`, from the addresses on file), no longer by this function.
DROP FUNCTION IF EXISTS staff_mail_unreachable(text);
