"""The data protection officer's screens (UU 27/2022): personal-data requests, their deadlines,
answers, audit and export."""
