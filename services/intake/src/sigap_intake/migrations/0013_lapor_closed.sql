-- SP4N-LAPOR!'s auto-close as intake learns it from status's event (`selesai` → `selesai`
-- with reason `ditutup_otomatis`, docs/lapor.md): from then on the reporter's objection
-- window is over and intake refuses a reopen itself (`lapor-closed`). Cleared when the
-- complaint leaves `selesai` (the city admin reopened it), so it can close again later.
ALTER TABLE complaints ADD COLUMN lapor_closed_at timestamptz;
