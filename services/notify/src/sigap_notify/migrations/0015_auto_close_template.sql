-- The reporter's message when SP4N-LAPOR!'s rules close a finished complaint nobody reacted to
-- (status's `selesai` → `selesai` change with reason `ditutup_otomatis`, docs/lapor.md): it
-- says why the complaint closed instead of repeating the follow-up's "selesai" message. As in
-- 0003 and 0007, a template the city already edited is never overwritten.
INSERT INTO templates (key, language, subject, body) VALUES
('reporter.closed_automatically', 'id', 'Laporan ${tracking_code} ditutup otomatis',
 E'Laporan ${tracking_code} ditutup otomatis karena tidak ada tanggapan dalam masa tanggapan setelah tindak lanjut oleh ${department}.\n\nCatatan tindak lanjut:\n${resolution_note}\n\nLaporan yang sudah ditutup tidak dapat dibuka kembali. Jika masalahnya belum selesai, silakan kirim laporan baru.\n\nBeri penilaian: ${rating_url}'),
('reporter.closed_automatically', 'en', 'Report ${tracking_code} closed automatically',
 E'Report ${tracking_code} was closed automatically because nobody responded within the response window after the follow-up by ${department}.\n\nFollow-up note:\n${resolution_note}\n\nA closed report cannot be reopened. If the problem is not solved, please submit a new report.\n\nRate the service: ${rating_url}')
ON CONFLICT (key, language) DO NOTHING;
