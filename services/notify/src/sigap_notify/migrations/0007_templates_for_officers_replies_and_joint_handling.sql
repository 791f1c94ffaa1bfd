-- Templates of the messages added with field-officer assignments, the department's replies to
-- reporters, reporters' ratings and reopen requests, and joint handling. As in 0003, a
-- template the city already edited is never overwritten.
INSERT INTO templates (key, language, subject, body) VALUES
('staff.officer_assigned', 'id', 'Tugas baru: laporan ${tracking_code}',
 'Anda ditugaskan menangani laporan ${tracking_code} dari ${department}. Lihat rinciannya di dasbor Sigap.'),
('staff.officer_assigned', 'en', 'New assignment: report ${tracking_code}',
 'You have been assigned report ${tracking_code} of ${department}. See the details in the Sigap dashboard.'),
('staff.officer_unassigned', 'id', 'Tugas laporan ${tracking_code} dialihkan',
 'Laporan ${tracking_code} dari ${department} tidak lagi ditugaskan kepada Anda. Anda tidak perlu menindaklanjutinya.'),
('staff.officer_unassigned', 'en', 'Report ${tracking_code} reassigned',
 'Report ${tracking_code} of ${department} is no longer assigned to you. You need not follow it up.'),
('staff.complaint_rated', 'id', 'Pelapor menilai penanganan laporan ${tracking_code}',
 'Pelapor memberi nilai ${rating} dari 5 untuk penanganan laporan ${tracking_code}. Lihat di dasbor Sigap.'),
('staff.complaint_rated', 'en', 'The reporter rated report ${tracking_code}',
 'The reporter rated the handling of report ${tracking_code} ${rating} out of 5. See the Sigap dashboard.'),
('staff.reopen_requested', 'id', 'Pelapor meminta laporan ${tracking_code} dibuka kembali',
 'Pelapor meminta laporan ${tracking_code} dibuka kembali. Lihat alasannya di dasbor Sigap.'),
('staff.reopen_requested', 'en', 'The reporter asked to reopen report ${tracking_code}',
 'The reporter asked to reopen report ${tracking_code}. See the reason in the Sigap dashboard.'),
('staff.support_added', 'id', 'Permintaan dukungan untuk laporan ${tracking_code}',
 '${department} diminta mendukung ${lead_department} menangani laporan ${tracking_code}. Alasan: ${reason}.'),
('staff.support_added', 'en', 'Support requested on report ${tracking_code}',
 '${department} was asked to support ${lead_department} on report ${tracking_code}. Reason: ${reason}.'),
('staff.support_removed', 'id', 'Dukungan untuk laporan ${tracking_code} selesai',
 '${department} tidak lagi mendukung ${lead_department} menangani laporan ${tracking_code}. Alasan: ${reason}.'),
('staff.support_removed', 'en', 'Support on report ${tracking_code} ended',
 '${department} no longer supports ${lead_department} on report ${tracking_code}. Reason: ${reason}.')
ON CONFLICT (key, language) DO NOTHING;

-- The reply template seeded in 0003 was never used; it now carries the department's message.
UPDATE templates SET
    subject = 'Balasan dari dinas untuk laporan ${tracking_code}',
    body = 'Balasan dari ${department} untuk laporan ${tracking_code}:' || E'\n\n' || '${message}',
    updated_at = now()
WHERE key = 'reporter.reply' AND language = 'id' AND updated_by = 'seed';
UPDATE templates SET
    subject = 'Reply from the department on report ${tracking_code}',
    body = 'Reply from ${department} on report ${tracking_code}:' || E'\n\n' || '${message}',
    updated_at = now()
WHERE key = 'reporter.reply' AND language = 'en' AND updated_by = 'seed';
