"""A complaint's photos for its staff: the list with live-photo verdicts and reasons, and each
photo (metadata stripped), asked of intake on behalf of staff status lets see the complaint."""
