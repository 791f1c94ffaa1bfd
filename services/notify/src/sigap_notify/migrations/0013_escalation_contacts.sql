-- Escalation contacts (docs/governance.md): who is told at each step of a department's
-- escalation ladder (`escalation:<DEPT>:<step>` recipients), kept by the city admin.
-- Department `*` holds a step's contacts for every department without its own (e.g. the
-- regional secretary's office for the `city` step).
CREATE TABLE escalation_contacts (
    department  text        NOT NULL,
    step        text        NOT NULL,
    emails      text[]      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL,
    PRIMARY KEY (department, step)
);

INSERT INTO templates (key, language, subject, body) VALUES
('staff.escalated', 'id', 'Eskalasi: laporan ${tracking_code} di ${department} terlambat',
 'Laporan ${tracking_code} di ${department} melewati tenggat tahap ${stage} (${due_at}) dan kini terlambat ${working_days_overdue} hari kerja. Anda menerima pesan ini sebagai kontak eskalasi tingkat ${step_number} (${step}). Mohon pastikan laporan ini segera ditindaklanjuti.'),
('staff.escalated', 'en', 'Escalation: report ${tracking_code} at ${department} is overdue',
 'Report ${tracking_code} at ${department} missed its ${stage} deadline (${due_at}) and is now ${working_days_overdue} working days overdue. You receive this as escalation contact of step ${step_number} (${step}). Please make sure it is followed up.')
ON CONFLICT (key, language) DO NOTHING;
