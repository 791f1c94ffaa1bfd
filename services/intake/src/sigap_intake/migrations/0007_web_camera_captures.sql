-- Web-camera capture sessions: the citizen page grabs a frame from a live video track onto a
-- canvas, which carries no EXIF, so the session records where the capture comes from and the
-- video track's size the page reported; the upload is judged against them (photo_checks).
ALTER TABLE capture_sessions
    ADD COLUMN source       text    NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'web_camera')),
    ADD COLUMN track_width  integer CHECK (track_width BETWEEN 16 AND 8192),
    ADD COLUMN track_height integer CHECK (track_height BETWEEN 16 AND 8192),
    ADD CONSTRAINT web_camera_sessions_know_their_track
        CHECK (source <> 'web_camera' OR (track_width IS NOT NULL AND track_height IS NOT NULL));
