"""The field officer's phone view (`/tugas`): my tasks nearest first, a task's page with the
way there, starting work and finishing it with a note and a live after-photo."""
