"""Message templates the city edits without a deploy: listing and changing them, and filling
them in (`rules`)."""
