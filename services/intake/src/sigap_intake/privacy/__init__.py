"""Personal data under UU 27/2022: data-subject requests (access, correction, restriction,
deletion) answered by the data protection officer, and the retention job that erases a closed
complaint's personal data."""
