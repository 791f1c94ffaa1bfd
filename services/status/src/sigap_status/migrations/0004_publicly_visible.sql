-- Whether the reporter let their complaint be shown to the public (ComplaintSubmitted's
-- `publicly_visible`, false unless privacy is `publik`). Complaints stored before this column
-- existed did not keep the choice: they stay out of the public view until an operator knows
-- better, rather than being shown against a reporter's wish.
ALTER TABLE complaints ADD COLUMN publicly_visible boolean NOT NULL DEFAULT false;
