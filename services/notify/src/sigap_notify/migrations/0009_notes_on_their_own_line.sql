-- What staff wrote (a resolution note, a rejection reason) stands on its own line instead of
-- being followed by a full stop of ours ("normal.." when the note ends with one). Only the
-- defaults change: a template the city has edited (updated_by is no longer 'seed') stays.
UPDATE templates SET body = v.body, updated_at = now()
FROM (VALUES
    ('reporter.status.selesai', 'id',
     E'Laporan ${tracking_code} telah selesai ditangani oleh ${department}.\n\nCatatan penyelesaian:\n${resolution_note}\n\nBeri penilaian: ${rating_url}'),
    ('reporter.status.selesai', 'en',
     E'Report ${tracking_code} has been resolved by ${department}.\n\nResolution note:\n${resolution_note}\n\nRate the service: ${rating_url}'),
    ('reporter.status.ditolak', 'id',
     E'Mohon maaf, laporan ${tracking_code} tidak dapat ditindaklanjuti.\n\nAlasan:\n${reason}'),
    ('reporter.status.ditolak', 'en',
     E'Sorry, report ${tracking_code} cannot be followed up.\n\nReason:\n${reason}')
) AS v(key, language, body)
WHERE templates.key = v.key AND templates.language = v.language AND templates.updated_by = 'seed';
