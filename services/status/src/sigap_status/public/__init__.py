"""What anyone may read without logging in: a publicly listed complaint with its public
timeline, and the list of publicly listed complaints."""
